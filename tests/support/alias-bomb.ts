/**
 * A YAML alias bomb: `levels` anchors, each a flow list of `fanOut` aliases to the one before, so
 * a reader that expands aliases builds about fanOut^(levels+1) nodes from a few hundred bytes.
 */
export function aliasBomb(levels: number, fanOut: number): string {
  let text = `a0: &a0 [${Array(fanOut).fill('x').join(', ')}]\n`;
  for (let i = 1; i <= levels; i++)
    text += `a${i}: &a${i} [${Array(fanOut)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  return text;
}
