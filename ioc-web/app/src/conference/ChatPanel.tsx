// The meeting's chat: every message since the seat was taken, and a line to write one.
import { useEffect, useRef, useState } from 'react';
import { formatTime } from '../i18n/datetime';
import { useI18n } from '../i18n/i18n';
import type { ConferenceClient } from './conference-client';
import type { ChatMessage } from './protocol';

export function ChatPanel({
  client,
  messages,
  selfId,
}: {
  client: ConferenceClient;
  messages: ChatMessage[];
  selfId: string | null;
}) {
  const { t } = useI18n();
  const text = t.conference.chat;
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const list = useRef<HTMLOListElement>(null);

  // Keep the newest message in view.
  useEffect(() => {
    const element = list.current;
    if (element && messages.length > 0) element.scrollTop = element.scrollHeight;
  }, [messages.length]);

  const send = async () => {
    if (sending || draft.trim() === '') return;
    setSending(true);
    if (await client.sendChat(draft)) setDraft('');
    setSending(false);
  };

  return (
    <section className="conference-side" aria-labelledby="conference-chat-title">
      <header className="conference-side-header">
        <h2 id="conference-chat-title">{text.title}</h2>
      </header>
      <ol ref={list} className="conference-chat" data-testid="conference-chat" aria-live="polite">
        {messages.length === 0 && <li className="muted">{text.empty}</li>}
        {messages.map((message) => (
          <li
            key={message.id}
            className={message.peerId === selfId ? 'conference-chat-own' : undefined}
          >
            <div className="conference-chat-meta">
              <strong>{message.displayName}</strong>
              <time dateTime={message.at} className="muted">
                {formatTime(new Date(message.at))}
              </time>
            </div>
            <p>{message.text}</p>
          </li>
        ))}
      </ol>
      <form
        className="conference-chat-form"
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <input
          value={draft}
          maxLength={1000}
          placeholder={text.placeholder}
          aria-label={text.placeholder}
          onChange={(event) => setDraft(event.target.value)}
          data-testid="conference-chat-input"
        />
        <button
          type="submit"
          className="button"
          disabled={sending}
          data-testid="conference-chat-send"
        >
          {text.send}
        </button>
      </form>
    </section>
  );
}
