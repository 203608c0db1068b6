import type { BusMessage } from '../bus/bus.js';

export interface StreamedEvent {
  id: string;
  topic: string;
  headers: BusMessage['headers'];
  body: unknown;
}

/** Parses a text/event-stream body into (event id, data) pairs. */
export async function readEvents(
  body: AsyncIterable<Uint8Array>,
  onEvent: (id: string, e: StreamedEvent) => void,
): Promise<void> {
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      const id = lines.find((l) => l.startsWith('id: '))?.slice(4);
      if (data && id) onEvent(id, JSON.parse(data) as StreamedEvent);
    }
  }
  throw new Error('the server closed the stream');
}
