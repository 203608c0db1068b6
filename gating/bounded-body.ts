/**
 * An HTTP answer's body as text, read no further than `max` bytes: what comes from outside
 * (a gating.yaml, a Koji answer) must not be held in memory whole before it is refused. A body
 * that says or turns out to be larger is cancelled and `tooLarge()` thrown.
 */
export async function boundedText(res: Response, max: number, tooLarge: () => Error): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
