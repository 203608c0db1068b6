import { PAGE_PATHS, pageUrl } from '../../dashboard/page-paths.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { classifyChange } from '../classify-decision-change.js';
import type { NoticeAbout } from '../notification-channel.js';
import { logUrl, repoBranch, shortRevision } from '../node-event.js';

/**
 * How links are written. Slack's incoming webhooks take `<url|label>` (Slack's "Formatting text
 * for app surfaces": & < > escaped as entities); Mattermost and Rocket.Chat take Markdown
 * `[label](url)` (and understand Slack's form in their Slack-compatible hooks too).
 */
export type ChatFormat = 'slack' | 'markdown';

/** A chat post's text: one headline a person reads in the channel list, then the links. */
export function chatText(notice: NoticeAbout, serverUrl: string, format: ChatFormat): string | null {
  const f = formatter(format);
  const page = (path: string) => pageUrl(serverUrl, path);
  switch (notice.about) {
    case 'job-failed': {
      const { node, root, log } = notice;
      const change = root ?? node;
      const label = node.job && node.job !== node.name ? `${node.name} (job ${node.job})` : node.name;
      const builder = typeof node.data?.builder === 'string' ? ` on ${f.text(node.data.builder)}` : '';
      const exit = typeof node.data?.exit_code === 'number' ? ` (exit code ${node.data.exit_code})` : '';
      const verb = node.result === 'fail' ? 'failed' : `ended ${f.text(node.result ?? node.state)}`;
      const lines = [
        `:x: ${f.bold(`${repoBranch(change)} ${shortRevision(change.revision)}`)}: job ${f.link(page(PAGE_PATHS.node(String(node.id))), label)} ${verb}${builder}${exit}`,
        links(f, [
          [page(PAGE_PATHS.run(String(node.run_id))), `run ${node.run_id}`],
          [logUrl(node), 'log'],
        ]),
      ];
      const tail = log.text?.trimEnd().split('\n').slice(-10).join('\n');
      if (tail) lines.push(f.code(tail));
      return lines.join('\n');
    }
    case 'run-report': {
      const { root, nodes } = notice.report;
      const retried = new Set(nodes.map((n) => n.retry_of).filter((id) => typeof id === 'number'));
      const jobs = nodes.filter((n) => n.parent_id !== null && !retried.has(n.id));
      const count = (r: string) => jobs.filter((j) => j.result === r).length;
      const bad = jobs.filter((j) => j.result === 'fail' || j.result === 'incomplete');
      const icon = bad.length ? ':x:' : ':white_check_mark:';
      const tally = `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped, ${count('incomplete')} incomplete`;
      const lines = [
        `${icon} ${f.bold(`${repoBranch(root)} ${shortRevision(root.revision)}`)}: ${f.link(page(PAGE_PATHS.run(String(root.run_id))), `run ${root.run_id}`)} finished, ${jobs.length} ${jobs.length === 1 ? 'job' : 'jobs'}: ${tally}`,
      ];
      if (bad.length)
        lines.push(
          `Failed: ${bad
            .slice(0, 10)
            .map((j) => f.link(page(PAGE_PATHS.node(String(j.id))), jobLabel(j)))
            .join(', ')}${bad.length > 10 ? `, and ${bad.length - 10} more` : ''}`,
        );
      return lines.join('\n');
    }
    case 'decision-changed': {
      const { decision: d, before } = notice;
      const change = classifyChange(before, d);
      const where = [d.product_version, d.decision_context].filter(Boolean).join(', ');
      const subject = f.link(
        page(PAGE_PATHS.subject(d.subject_type, d.subject_identifier)),
        d.subject_identifier,
      );
      const headline =
        change === 'became-unsatisfied'
          ? `:no_entry: Gating for ${subject} (${f.text(where)}) is no longer satisfied: ${f.text(d.summary)}`
          : change === 'became-satisfied'
            ? `:white_check_mark: Gating for ${subject} (${f.text(where)}) is satisfied: ${f.text(d.summary)}`
            : `:arrows_counterclockwise: Gating for ${subject} (${f.text(where)}) changed: ${f.text(d.summary)}`;
      const lines = [headline];
      const unsatisfied = d.unsatisfied_requirements;
      if (unsatisfied.length)
        lines.push(
          `Unsatisfied: ${unsatisfied
            .slice(0, 10)
            .map((r) => f.text(`${r.testcase ?? r.type} (${r.type})`))
            .join(', ')}${unsatisfied.length > 10 ? `, and ${unsatisfied.length - 10} more` : ''}`,
        );
      lines.push(
        links(f, [
          [page(PAGE_PATHS.decisionHistory(d.subject_type, d.subject_identifier)), 'decision history'],
        ]),
      );
      return lines.join('\n');
    }
    case 'message':
      return null;
  }
}

function jobLabel(j: NodeJson): string {
  return j.job && j.job !== j.name ? `${j.name} (${j.job})` : j.name;
}

function links(f: Formatter, list: Array<[string | null, string]>): string {
  return list
    .filter((l): l is [string, string] => l[0] !== null)
    .map(([url, label]) => f.link(url, label))
    .join(' · ');
}

interface Formatter {
  /** Text from messages and configs, made inert (no mention, no link, no markup of its own). */
  text(s: string): string;
  bold(s: string): string;
  link(url: string, label: string): string;
  code(s: string): string;
}

function formatter(format: ChatFormat): Formatter {
  if (format === 'slack') {
    const text = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    return {
      text,
      bold: (s) => `*${text(s).replace(/\*/g, '')}*`,
      link: (url, label) =>
        `<${url.replace(/[<>|]/g, encodeURIComponent)}|${text(label).replace(/\|/g, '¦')}>`,
      code: (s) => `\`\`\`\n${text(s).replace(/```/g, "'''")}\n\`\`\``,
    };
  }
  const text = (s: string) => s.replace(/([\\`*_[\]<>#|~])/g, '\\$1');
  return {
    text,
    bold: (s) => `**${text(s)}**`,
    link: (url, label) => `[${text(label)}](${url.replace(/[()\s]/g, encodeURIComponent)})`,
    code: (s) => `\`\`\`\n${s.replace(/```/g, "'''")}\n\`\`\``,
  };
}
