/**
 * The text/event-stream wire format (WHATWG HTML Living Standard §9.2 "Server-sent events").
 *
 * §9.2.5: "The event stream format … stream = [ bom ] *event; event = *( comment / field )
 * end-of-line; comment = colon *any-char end-of-line; field = 1*name-char [ colon [ space ]
 * *any-char ] end-of-line". A data value containing line breaks is sent as several `data:`
 * lines, which the client joins with LF (§9.2.6: "append the field value to the data buffer,
 * then append a single U+000A LINE FEED (LF) character"). An `id` must not contain LF, CR or
 * NULL (§9.2.6: "If the field value does not contain U+0000 NULL, then set the last event ID
 * buffer to the field value"); the browser sends it back as `Last-Event-ID` on reconnect.
 */

export interface SseMessage {
  /** Event type; absent means "message". */
  event?: string;
  data: string;
  id?: string;
}

const LINE_BREAK = /\r\n|\r|\n/;
const NOT_IN_FIELD = /[\r\n\0]/;

export function formatMessage(m: SseMessage): string {
  let out = '';
  if (m.event !== undefined) {
    if (NOT_IN_FIELD.test(m.event)) throw new Error('SSE event type contains a line break or NULL');
    out += `event: ${m.event}\n`;
  }
  for (const line of m.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  if (m.id !== undefined) {
    if (NOT_IN_FIELD.test(m.id)) throw new Error('SSE id contains a line break or NULL');
    out += `id: ${m.id}\n`;
  }
  return `${out}\n`;
}

/** A comment line: ignored by EventSource, keeps proxies and NAT from closing an idle stream. */
export function formatComment(text: string): string {
  return `: ${text.replace(LINE_BREAK, ' ')}\n\n`;
}

/** §9.2.6: "retry … set the event stream's reconnection time to that integer". */
export function formatRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

/** Parse a stream back into messages (for tests and the bench client). */
export function parseStream(text: string): Array<SseMessage & { comment?: string }> {
  const out: Array<SseMessage & { comment?: string }> = [];
  for (const block of text.split('\n\n')) {
    if (!block) continue;
    const m: SseMessage & { comment?: string } = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) m.comment = line.slice(1).trim();
      const i = line.indexOf(':');
      if (i <= 0) continue;
      const field = line.slice(0, i);
      const value = line.slice(i + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') m.event = value;
      else if (field === 'id') m.id = value;
    }
    m.data = data.join('\n');
    out.push(m);
  }
  return out;
}
