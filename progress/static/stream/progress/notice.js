// Short notices: new awards (several summed up in one), and what happened to progress kept on
// this device. On a lesson page they show under the Progress section's button, where the
// learner just looked, so they never cover the next step (the lesson pager below it); elsewhere
// in the corner of the window. Each goes by itself after a few seconds, waits while the pointer
// or the keyboard is on it, and has a close button. An award is announced once: the slugs shown
// are remembered per owner of the progress (this browser, or an account), so the sync after
// signing up does not announce again what the visitor already saw.

import { format } from "./render.js";

const SHOWN_FOR_MS = 6000;
const LEAVING_MS = 200; // the fade-out in progress.css

function region() {
  return (
    document.querySelector(".lesson-progress [data-progress-notice]") ||
    document.querySelector("[data-progress-notice]")
  );
}

function stillMotion() {
  return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

function dismiss(item) {
  if (item.dataset.leaving) return;
  item.dataset.leaving = "1";
  const hadFocus = item.contains(document.activeElement);
  const next = item.nextElementSibling || item.previousElementSibling;
  const gone = () => {
    item.remove();
    // Keep the keyboard's place: on the next notice's close button, if there is one.
    if (hadFocus && next) next.querySelector("button").focus();
  };
  if (stillMotion()) gone();
  else window.setTimeout(gone, LEAVING_MS);
}

// Goes after SHOWN_FOR_MS, counted again from the moment the pointer and focus leave it.
function dismissLater(item) {
  let timer = null;
  let hovered = false;
  let focused = false;
  const arm = () => {
    window.clearTimeout(timer);
    if (!hovered && !focused) timer = window.setTimeout(() => dismiss(item), SHOWN_FOR_MS);
  };
  item.addEventListener("pointerenter", () => {
    hovered = true;
    arm();
  });
  item.addEventListener("pointerleave", () => {
    hovered = false;
    arm();
  });
  item.addEventListener("focusin", () => {
    focused = true;
    arm();
  });
  item.addEventListener("focusout", (event) => {
    if (item.contains(event.relatedTarget)) return;
    focused = false;
    arm();
  });
  arm();
}

export function showNotice(text, message, { kind = "info" } = {}) {
  const place = region();
  if (!place || !message) return;
  const item = document.createElement("div");
  item.className = `progress-notice__item progress-notice__item--${kind}`;
  const body = document.createElement("p");
  body.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "progress-notice__dismiss";
  close.textContent = text.dismiss;
  close.addEventListener("click", () => dismiss(item));
  item.append(body, close);
  place.append(item);
  dismissLater(item);
}

// --- Awards already announced ---------------------------------------------------------------
// One localStorage record next to the progress store: {"here": [slug, ...], "<user id>": [...]};
// "here" is this browser's own (anonymous) progress.

const HERE = "here";

function shownKey(storageKey) {
  return `${storageKey}.shown`;
}

function readShown(storageKey) {
  try {
    const record = JSON.parse(window.localStorage.getItem(shownKey(storageKey)) || "{}");
    return record && typeof record === "object" && !Array.isArray(record) ? record : {};
  } catch {
    return {};
  }
}

function writeShown(storageKey, record) {
  try {
    window.localStorage.setItem(shownKey(storageKey), JSON.stringify(record));
  } catch {
    // no localStorage: an award may be announced again, nothing worse
  }
}

// This browser's progress went into the account userId: so did the awards it announced.
export function adoptShown(storageKey, userId) {
  const record = readShown(storageKey);
  if (!Array.isArray(record[HERE])) return;
  const owner = String(userId);
  record[owner] = [...new Set([...(record[owner] || []), ...record[HERE]])];
  delete record[HERE];
  writeShown(storageKey, record);
}

// awards: [{slug, name, xp}, ...]; owner: a user id, or null for this browser's own progress.
export function showAwards(text, awards, { storageKey, owner = null } = {}) {
  const key = owner === null ? HERE : String(owner);
  const record = readShown(storageKey);
  const shown = new Set(Array.isArray(record[key]) ? record[key] : []);
  const fresh = awards.filter((award) => !shown.has(award.slug));
  if (!fresh.length) return;
  record[key] = [...shown, ...fresh.map((award) => award.slug)];
  writeShown(storageKey, record);
  const names = fresh.map((award) => award.name).join(", ");
  const xp = fresh.reduce((sum, award) => sum + award.xp, 0);
  const message =
    fresh.length === 1
      ? format(text.award_one, { names, xp })
      : format(text.award_many, { count: fresh.length, names, xp });
  showNotice(text, message, { kind: "award" });
}
