import type { DeadLetter } from '../bus/bus.js';
import type { OutboxEntryJson } from '../db/mail-outbox.js';
import { html, type Html } from './html.js';
import { badge, duration, layout, notice, when } from './layout.js';
import { type ApiForm, apiFormOpen } from './gating-pages.js';

export interface OperationsData {
  deadLetters: DeadLetter[];
  /** Why the dead letters could not be listed (the broker is away), instead of a list. */
  deadLettersError?: string;
  outbox: { count: number; oldestAgeMs: number };
  notifications: { counts: Record<string, number>; recent: OutboxEntryJson[] };
  builders: Array<{
    name: string;
    active: number;
    jobLimit: number;
    healthy: boolean;
    lastError: string | null;
  }> | null;
  consumers: Array<{ name: string; role: string; topics: string[] }>;
  bus: { kind: string; ok: boolean; detail: string };
  /** The replay button's form, for an admin; undefined shows no button. */
  replay?: ApiForm;
  message?: { text: string; error: boolean };
  user?: string | null;
}

export function operationsPage(d: OperationsData): Html {
  const body = html`<h1>Operations</h1>
${d.message ? notice(d.message.text, d.message.error) : ''}
<h2>Dead letters</h2>
${
  d.deadLettersError
    ? notice(d.deadLettersError, true)
    : d.deadLetters.length === 0
      ? notice('The dead-letter queue is empty.')
      : html`<table><thead><tr><th scope="col">Letter</th><th scope="col">Queue</th><th scope="col">Topic</th><th scope="col">Reason</th><th scope="col">Attempts</th><th scope="col">Dead since</th><th scope="col">Replay</th></tr></thead>
<tbody>${d.deadLetters.map(
          (l) =>
            html`<tr><td class="mono">${l.messageId}</td><td>${l.queue}</td><td>${l.topic}</td><td>${l.reason}${
              l.notReplayedReason
                ? html`<br><span class="muted">not replayed: ${l.notReplayedReason}</span>`
                : ''
            }</td><td class="num">${l.attempts}</td><td>${when(l.deadAt)}</td><td>${
              d.replay
                ? html`${apiFormOpen(d.replay, `Replay ${l.messageId}`)}<input type="hidden" name="id" value="${l.id}"><button type="submit" class="secondary">Replay</button><span class="form-error" role="alert"></span></form>`
                : html`<span class="muted">admin only</span>`
            }</td></tr>`,
        )}</tbody></table>`
}
<h2>Message outbox</h2>
<p>${d.outbox.count} messages waiting to be published; the oldest has waited ${duration(d.outbox.oldestAgeMs)}.</p>
<h2>Notifications</h2>
<p>${Object.entries(d.notifications.counts).map(([state, n]) => html`${badge(state)} ${n} `)}</p>
${
  d.notifications.recent.length === 0
    ? ''
    : html`<table><thead><tr><th scope="col">Notification</th><th scope="col">Kind</th><th scope="col">Rule</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Created</th></tr></thead>
<tbody>${d.notifications.recent.map(
        (n) =>
          html`<tr><td>${n.subject}</td><td>${n.kind}</td><td>${n.rule}</td><td>${badge(n.state)}</td><td class="num">${n.attempts}</td><td>${n.last_error ?? ''}</td><td>${when(n.created)}</td></tr>`,
      )}</tbody></table>`
}
<h2>Builders</h2>
${
  d.builders === null
    ? notice('No runner in this process: its builders are reported by the process that runs jobs.')
    : html`<table><thead><tr><th scope="col">Builder</th><th scope="col">Health</th><th scope="col">Load</th><th scope="col">Last error</th></tr></thead>
<tbody>${d.builders.map(
        (b) =>
          html`<tr><td>${b.name}</td><td>${badge(b.healthy ? 'healthy' : 'down')}</td><td>${b.active} of ${b.jobLimit} jobs</td><td>${b.lastError ?? ''}</td></tr>`,
      )}</tbody></table>`
}
<h2>Bus, consumers and queues</h2>
<p>Bus: ${d.bus.kind}, ${badge(d.bus.ok ? 'healthy' : 'down')} ${d.bus.detail}</p>
<table><thead><tr><th scope="col">Consumer (queue)</th><th scope="col">Role</th><th scope="col">Topics</th></tr></thead>
<tbody>${d.consumers.map(
    (c) => html`<tr><td>${c.name}</td><td>${c.role}</td><td class="mono">${c.topics.join(', ')}</td></tr>`,
  )}</tbody></table>`;
  return layout({ title: 'Operations', section: 'operations', body, user: d.user });
}
