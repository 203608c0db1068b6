/**
 * What git lets a branch hold (git-check-ref-format(1), for `refs/heads/NAME`): no ASCII control
 * character (below 0x20, or 0x7f), space, `~ ^ : ? * [ \`; no `..` or `@{`; no component that
 * starts with `.` or ends with `.lock`; no empty component (`//`, a leading or trailing `/`);
 * no trailing `.`. A name git refuses cannot be a real push, so nothing is lost by refusing it,
 * and a NUL or a newline never reaches a node, a log or a job's command.
 *
 * The same pattern is in schemas/messages/git.receive.json (a test keeps the two equal).
 */
export const BRANCH_NAME_PATTERN =
  '^(?!/|\\.)(?!.*(?:\\.\\.|@\\{|//|/\\.|\\.lock/|\\.lock$|/$|\\.$))[^\\u0000-\\u0020\\u007f~^:?*[\\\\]+$';

const BRANCH_NAME = new RegExp(BRANCH_NAME_PATTERN, 'u');

/** Why git would refuse `name` as a branch, or undefined when it is one. */
export function branchNameProblem(name: string): string | undefined {
  if (BRANCH_NAME.test(name)) return undefined;
  if (name === '') return 'must not be empty';
  const control = /[\u0000-\u001f\u007f]/u.exec(name);
  if (control)
    return `holds the control character U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, which git does not allow in a branch name`;
  return `${JSON.stringify(name.slice(0, 80))} is not a branch name git allows (see git check-ref-format: no space, ~ ^ : ? * [ \\, "..", "@{", a component starting with "." or ending with ".lock", an empty component or a trailing "." or "/")`;
}
