// The browser's own record of progress, under ONE versioned localStorage key:
//   {"version": 1, "events": [{id, type, lesson, at}, ...], "mergedInto": <user id> | null}
// Every change reads the record afresh and writes it back, so two open tabs do not undo each
// other. Without localStorage (private modes, full quota) it keeps the record in memory.

const VERSION = 1;

function emptyRecord() {
  return { version: VERSION, events: [], mergedInto: null };
}

function isEvent(item) {
  return (
    item &&
    typeof item.id === "string" &&
    item.type === "lesson_completed" &&
    Number.isInteger(item.lesson) &&
    typeof item.at === "string"
  );
}

export function newEventId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  // randomUUID needs a secure context; getRandomValues does not (a demo over plain HTTP).
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class LocalStore {
  constructor(key) {
    this.key = key;
    this.memory = null;
  }

  read() {
    let raw = null;
    try {
      raw = window.localStorage.getItem(this.key);
    } catch {
      return this.memory || emptyRecord();
    }
    if (!raw) return this.memory || emptyRecord();
    try {
      const data = JSON.parse(raw);
      if (!data || data.version !== VERSION || !Array.isArray(data.events)) return emptyRecord();
      return {
        version: VERSION,
        events: data.events.filter(isEvent),
        mergedInto: data.mergedInto ?? null,
      };
    } catch {
      return emptyRecord();
    }
  }

  write(record) {
    try {
      window.localStorage.setItem(this.key, JSON.stringify(record));
      this.memory = null;
    } catch {
      this.memory = record;
    }
  }

  // Adds a completion unless the lesson is already done here; returns the event or null.
  addCompletion(lessonId, at, { mergedInto } = {}) {
    const record = this.read();
    if (record.events.some((event) => event.lesson === lessonId)) return null;
    const event = { id: newEventId(), type: "lesson_completed", lesson: lessonId, at };
    record.events.push(event);
    if (mergedInto !== undefined) record.mergedInto = mergedInto;
    this.write(record);
    return event;
  }

  // Keeps an event the server has not acknowledged (a signed-in completion that failed).
  keep(event, mergedInto) {
    const record = this.read();
    if (!record.events.some((item) => item.id === event.id)) record.events.push(event);
    record.mergedInto = mergedInto;
    this.write(record);
  }

  // Drops exactly the events the server answered for, and remembers the account.
  acknowledge(ids, mergedInto) {
    const answered = new Set(ids);
    const record = this.read();
    record.events = record.events.filter((event) => !answered.has(event.id));
    record.mergedInto = mergedInto;
    this.write(record);
    return record;
  }

  // New ids for events whose ids the server says were used for another payload (409).
  renumber(ids) {
    const conflicting = new Set(ids);
    const record = this.read();
    for (const event of record.events) {
      if (conflicting.has(event.id)) event.id = newEventId();
    }
    this.write(record);
  }
}
