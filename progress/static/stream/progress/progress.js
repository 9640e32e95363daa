// Progress on Stream's pages. The page's HTML is the same for every viewer (a visitor's, with
// no progress); this module shows the viewer's. Anonymous visitors: completions are events kept
// in this browser (store.js) and the status bar is computed from them and the catalogue's facts
// (facts.js, fetched once per site version from the address in the page's JSON block). Signed-in
// learners: the state comes from the viewer endpoint (window.streamViewer, lessons/viewer.js),
// completions go to the API and the page shows the server's answer; events this browser still
// holds are synced on every page load until the server acknowledges them.

import { loadFacts } from "./facts.js";
import { confirmMerge } from "./merge-confirm.js";
import { adoptShown, showAwards, showNotice } from "./notice.js";
import {
  renderBusy,
  renderButton,
  renderContinue,
  renderCourseCards,
  renderCourseComplete,
  renderLock,
  renderLockMarks,
  renderMarks,
  renderRequirementMarks,
  renderStatus,
} from "./render.js";
import { isLocked } from "./rules.js";
import { LocalStore, newEventId } from "./store.js";
import { localState, serverState } from "./state.js";
import { postEvents } from "./sync.js";

const FIRST_RETRY_MS = 5000;
const LAST_RETRY_MS = 300000;

function start(data, viewer, factsReady) {
  const text = data.text;
  const user = viewer ? viewer.user : null;
  const store = new LocalStore(data.storageKey);
  let facts = null;
  let lessons = [];
  const section = document.querySelector("[data-progress-lesson]");
  const lessonId = section ? Number(section.dataset.progressLesson) : null;
  // This lesson's prerequisites, in the page (the same for everyone): rules.js decides.
  const requiresBlock = document.getElementById("stream-progress-requires");
  const requires = requiresBlock ? JSON.parse(requiresBlock.textContent) : [];
  let current = null;
  let retryDelay = FIRST_RETRY_MS;
  let retryTimer = null;
  let syncing = false;

  function lockedHere(state) {
    if (lessonId === null) return false;
    if (state.locked !== undefined) return state.locked; // the viewer endpoint's own answer
    return isLocked(lessonId, requires, state.completedAt);
  }

  function show(state) {
    current = state;
    renderStatus(text, state);
    if (lessonId !== null) renderButton(text, state.completedAt.has(lessonId));
    renderLock(text, lockedHere(state));
    renderRequirementMarks(state.completedAt);
    if (!facts) return;
    const requirements = facts.requirements || {};
    renderLockMarks((id) => isLocked(id, requirements[String(id)], state.completedAt));
    renderMarks(state.completedAt);
    renderCourseCards(lessons, state.completedAt);
    renderContinue(text, lessons, state.completedAt);
  }

  function awardedBetween(before, after) {
    const names = new Map((facts.achievements || []).map((a) => [a.slug, a]));
    return [...after.achievements]
      .filter((slug) => !before.achievements.has(slug) && names.has(slug))
      .map((slug) => names.get(slug));
  }

  // --- Anonymous: the browser keeps the events -----------------------------------------------

  function completeHere() {
    if (!facts) {
      // No facts to count with (never fetched, offline): keep the event all the same, unless
      // the page's own prerequisites lock it.
      const here = new Set(store.read().events.map((event) => event.lesson));
      if (isLocked(lessonId, requires, here)) {
        renderLock(text, true);
        showNotice(text, text.locked);
        return;
      }
      if (!here.has(lessonId)) {
        store.addCompletion(lessonId, new Date().toISOString());
      }
      renderButton(text, true);
      return;
    }
    const before = localState(store.read().events, facts);
    if (before.completedAt.has(lessonId)) return;
    if (lockedHere(before)) {
      // The same rule as the server's: this browser does not complete a locked lesson either.
      show(before);
      showNotice(text, text.locked);
      return;
    }
    store.addCompletion(lessonId, new Date().toISOString());
    const after = localState(store.read().events, facts);
    show(after);
    showAwards(text, awardedBetween(before, after), { storageKey: data.storageKey });
    renderCourseComplete(text, lessons, after.completedAt, lessonId);
  }

  // --- Signed in: the server decides ----------------------------------------------------------

  function scheduleRetry() {
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(syncStored, retryDelay);
    retryDelay = Math.min(retryDelay * 3, LAST_RETRY_MS);
  }

  async function send(events) {
    try {
      return await postEvents(data, events);
    } catch {
      return { ok: false, status: 0, data: null };
    }
  }

  async function completeOnServer() {
    const wasDone = current ? current.completedAt.has(lessonId) : false;
    const event = {
      id: newEventId(),
      type: "lesson_completed",
      lesson: lessonId,
      at: new Date().toISOString(),
    };
    renderBusy(text);
    const answer = await send([event]);
    if (!answer.ok) {
      // Nothing is lost: the event waits in this browser and is synced later.
      store.keep(event, user.id);
      renderButton(text, true);
      showNotice(text, text.saved_here);
      scheduleRetry();
      return;
    }
    const state = serverState(answer.data.state);
    show(state);
    const result = (answer.data.results || [])[0];
    if (result && result.status === "rejected" && result.reason === "locked") {
      renderLock(text, true);
      showNotice(text, text.locked);
      return;
    }
    showAwards(text, answer.data.awarded, { storageKey: data.storageKey, owner: user.id });
    if (!wasDone && state.completedAt.has(lessonId)) {
      renderCourseComplete(text, lessons, state.completedAt, lessonId);
    }
  }

  async function mayMerge(record) {
    if (record.mergedInto === null || record.mergedInto === user.id) return true;
    const declined = `${data.storageKey}.declined.${user.id}`;
    try {
      if (window.sessionStorage.getItem(declined)) return false;
    } catch {
      // no sessionStorage: ask every time
    }
    const yes = await confirmMerge(text);
    if (!yes) {
      try {
        window.sessionStorage.setItem(declined, "1");
      } catch {
        // nothing to remember it in
      }
    }
    return yes;
  }

  async function syncStored() {
    if (syncing || !data.syncUrl) return;
    syncing = true;
    try {
      let record = store.read();
      if (!record.events.length || !(await mayMerge(record))) return;
      const awarded = [];
      let renumbered = false;
      while (record.events.length) {
        const batch = record.events.slice(0, data.batchLimit || 500);
        const answer = await send(batch);
        if (answer.status === 409 && !renumbered && answer.data) {
          // An id this browser made was used for another payload: give those events new ids.
          store.renumber(answer.data.conflicts || []);
          renumbered = true;
          record = store.read();
          continue;
        }
        if (!answer.ok) {
          scheduleRetry();
          return;
        }
        const before = record.events.length;
        record = store.acknowledge(
          answer.data.results.map((result) => result.id).filter((id) => typeof id === "string"),
          user.id,
        );
        adoptShown(data.storageKey, user.id);
        awarded.push(...answer.data.awarded);
        show(serverState(answer.data.state));
        if (record.events.length >= before) break;
      }
      retryDelay = FIRST_RETRY_MS;
      showNotice(text, text.synced);
      showAwards(text, awarded, { storageKey: data.storageKey, owner: user.id });
    } finally {
      syncing = false;
    }
  }

  // --- Wiring ---------------------------------------------------------------------------------

  factsReady.then((found) => {
    facts = found;
    lessons = (found && found.lessons) || [];
    if (!facts) return;
    if (!user) show(localState(store.read().events, facts));
    else if (current) show(current); // the marks, course cards and "continue" need the facts
  });

  if (user) {
    for (const note of document.querySelectorAll("[data-progress-local-note]")) note.hidden = true;
    if (viewer.progress) {
      const first = serverState(viewer.progress);
      first.locked = (viewer.progress.locked || []).length > 0 && !first.completedAt.has(lessonId);
      show(first);
    }
    window.addEventListener("online", syncStored);
    syncStored();
    // "Mark as complete"
    return () => {
      if (lessonId !== null && (!current || !current.completedAt.has(lessonId))) completeOnServer();
    };
  }
  window.addEventListener("storage", (change) => {
    if (change.key === data.storageKey && facts) show(localState(store.read().events, facts));
  });
  return () => {
    if (lessonId !== null) factsReady.then(completeHere);
  };
}

const block = document.getElementById("stream-progress-data");
if (block) {
  const data = JSON.parse(block.textContent);
  const viewerReady = window.streamViewer || Promise.resolve(null);
  const factsReady = loadFacts(data); // while the viewer endpoint answers
  const started = viewerReady.then((viewer) => start(data, viewer, factsReady));
  // The button is a plain GET form (its page asks, without JavaScript); here a click marks the
  // lesson complete once this module knows whose progress it is, even if that takes a moment.
  const form = document.querySelector("[data-progress-form]");
  if (form) {
    form.addEventListener("submit", (submit) => {
      submit.preventDefault();
      started.then((complete) => complete());
    });
  }
}
