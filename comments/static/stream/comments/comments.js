// Comments without a page reload: post, reply, edit, delete, flag, moderate, the 🔔 toggle and
// the problem report.
//
// The section's HTML is the same for every viewer (the anonymous visitor's); what this viewer
// may do comes from the viewer endpoint (window.streamViewer, lessons/viewer.js): the comment
// form or the refusal, the 🔔 toggle, edit and delete on their own comments, "Flagged for
// moderation", Hide for moderators, Unhide and Approve on the comments held back that
// moderators see in full, and their own comments still awaiting moderation, all copied from
// the <template>s at the end of the section. Without JavaScript every action
// leads to a page of its own carrying its own token.
//
// Forms go through fetch() with the header X-Stream-Fragment: 1 and the server answers with
// JSON holding the comment's HTML. Only when the request cannot be made at all (offline) is
// the form posted the plain way; a new comment carries an idempotency key, so a post the
// server saved before the connection dropped is not saved twice.

const FRAGMENT_HEADER = "X-Stream-Fragment";
const KEYED = new Set(["post", "reply"]);

const viewerReady = window.streamViewer || Promise.resolve(null);
let viewer = null;
const own = new Map(); // comment id → {can_edit, can_delete}

function csrfToken() {
  if (window.streamCsrfToken) return window.streamCsrfToken();
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return Promise.resolve(field ? field.value : "");
}

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content;
}

function fromTemplate(root, name) {
  const template = root && root.querySelector(`template[data-${name}-template]`);
  return template ? template.content.cloneNode(true) : null;
}

// The templates' actions name comment 0: "/comments/0/edit/" → "/comments/12/edit/".
function forComment(form, id) {
  form.action = form.getAttribute("action").replace(/\/0\/([^/]+\/)$/, `/${id}/$1`);
}

function hiddenField(form, name, value) {
  let field = form.querySelector(`input[type=hidden][name="${name}"]`);
  if (!field) {
    field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    form.prepend(field);
  }
  field.value = value;
}

function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return Array.from(window.crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    byte.toString(16).padStart(2, "0"),
  ).join("");
}

function announce(region, message) {
  if (!region || !message) return;
  region.textContent = "";
  // A fresh text node after a tick, so screen readers announce the same message twice.
  window.setTimeout(() => {
    region.textContent = message;
  }, 50);
}

function showErrors(form, errors) {
  const box = form.querySelector("[data-form-errors]");
  if (box) box.textContent = errors.join(" ");
}

function clearErrors(form) {
  const box = form.querySelector("[data-form-errors]");
  if (box) box.textContent = "";
}

function focusArticle(id) {
  const article = document.getElementById(`comment-${id}`);
  if (!article) return;
  article.setAttribute("tabindex", "-1");
  article.focus({ preventScroll: false });
}

function updateCount(section, label) {
  const title = section && section.querySelector("[data-comments-count]");
  if (title && label) title.textContent = label;
}

function showSubscribed(section, subscribed) {
  const form = section && section.querySelector('[data-stream-form="subscription"]');
  if (!form || typeof subscribed !== "boolean") return;
  form.querySelector("button").setAttribute("aria-pressed", subscribed ? "true" : "false");
  form.querySelector("[name=active]").value = subscribed ? "0" : "1";
}

// --- What this viewer sees -------------------------------------------------------------------

function isPublished(article) {
  return !["placeholder", "pending", "hidden", "removed"].some((state) =>
    article.classList.contains(`stream-comment--${state}`),
  );
}

function actionsOf(article) {
  let actions = article.querySelector(":scope > .stream-comment__actions");
  if (!actions && !article.classList.contains("stream-comment--placeholder")) {
    actions = document.createElement("div");
    actions.className = "stream-comment__actions";
    article.append(actions);
  }
  return actions;
}

function ownControl(section, name, id) {
  const control = fromTemplate(section, name);
  if (!control) return null;
  const form = control.querySelector("form");
  forComment(form, id);
  const field = form.querySelector("textarea");
  const label = form.querySelector(`[data-${name}-label]`);
  if (field && label) {
    field.id = `${name}-body-${id}`;
    label.htmlFor = field.id;
  }
  return control;
}

function decorate(section, article) {
  const comments = viewer && viewer.comments;
  if (!comments) return;
  const id = Number(article.dataset.commentId);
  const actions = actionsOf(article);
  if (!actions) return;
  const flagLink = actions.querySelector('a.stream-action[data-action="flag"]');
  const mine = own.get(id);
  if (mine) {
    article.classList.add("stream-comment--mine");
    if (flagLink) flagLink.remove();
    if (mine.can_edit && !actions.querySelector('[data-action="edit"]')) {
      const edit = ownControl(section, "edit", id);
      if (edit) actions.append(edit);
    }
    if (mine.can_delete && !actions.querySelector('[data-action="delete"]')) {
      const remove = ownControl(section, "delete", id);
      if (remove) actions.append(remove);
    }
  } else if (flagLink && (comments.flagged || []).includes(id)) {
    const note = fromTemplate(section, "flagged");
    if (note) flagLink.replaceWith(note);
  }
  if (comments.moderator && isPublished(article) && !actions.querySelector('[data-stream-form="hide"]')) {
    const hide = ownControl(section, "hide", id);
    if (hide) actions.append(hide);
  }
  // A comment held back (hidden, or awaiting moderation) that moderators see in full.
  const held = ["hidden", "pending"].find((state) => article.classList.contains(`stream-comment--${state}`));
  if (comments.moderator && held && !actions.querySelector('[data-stream-form="unhide"]')) {
    const release = ownControl(section, held === "pending" ? "approve" : "unhide", id);
    if (release) actions.append(release);
  }
}

function decorateAll(section, root = section) {
  root.querySelectorAll("article.stream-comment[data-comment-id]").forEach((article) => decorate(section, article));
}

function insertThread(section, html, parent) {
  const node = fragment(html);
  if (parent) {
    const replies = section.querySelector(`[data-replies-for="${parent}"]`);
    if (!replies) return false;
    replies.append(node);
    return true;
  }
  const list = section.querySelector("[data-thread-list]");
  if (section.dataset.order === "newest") list.prepend(node);
  else list.append(node);
  section.querySelector("[data-comments-empty]")?.remove();
  return true;
}

function showViewer(section) {
  const comments = viewer && viewer.comments;
  if (!comments || String(comments.lesson) !== section.dataset.lesson) return;
  for (const item of comments.own || []) own.set(item.id, item);
  const compose = section.querySelector("[data-comments-compose]");
  if (compose) {
    const form = fromTemplate(section, comments.may_comment ? "comment-form" : "comment-refused");
    if (form) compose.replaceChildren(form);
  }
  const area = section.querySelector("[data-subscription-area]");
  const toggle = fromTemplate(section, "subscription");
  if (area && toggle) {
    area.replaceChildren(toggle);
    showSubscribed(section, Boolean(comments.subscribed));
  }
  // Comments held back (the viewer's own awaiting moderation; for moderators, every hidden or
  // pending one): added where they belong, or in place of the placeholder the page shows.
  for (const item of comments.pending || []) {
    const shown = document.getElementById(`comment-${item.id}`);
    if (!shown) insertThread(section, item.html, item.parent);
    else if (shown.classList.contains("stream-comment--placeholder")) {
      const article = fragment(item.html).querySelector("article");
      if (article) shown.replaceWith(article);
    }
  }
  decorateAll(section);
  relativeTimes(section);
}

// --- Sending forms ---------------------------------------------------------------------------

function replaceArticle(section, id, html) {
  const article = document.getElementById(`comment-${id}`);
  if (article) {
    const replacement = fragment(html);
    const fresh = replacement.firstElementChild;
    article.replaceWith(replacement);
    if (fresh && section) decorate(section, fresh);
  }
  focusArticle(id);
}

function posted(form, data, section) {
  own.set(data.id, data.own || { id: data.id, can_edit: true, can_delete: true });
  const article = document.getElementById(`comment-${data.id}`);
  if (article) decorate(section, article);
  form.reset();
  form.querySelector("input[name=idempotency_key]")?.remove();
  updateCount(section, data.count_label);
  showSubscribed(section, data.subscribed);
}

const handlers = {
  post(form, data, section) {
    insertThread(section, data.html, null);
    posted(form, data, section);
  },
  reply(form, data, section) {
    if (!insertThread(section, data.html, data.parent)) {
      window.location.reload(); // the thread is not on this page of comments
      return;
    }
    posted(form, data, section);
    const details = form.closest("details");
    if (details) details.open = false;
  },
  edit(form, data, section) {
    replaceArticle(section, data.id, data.html);
  },
  delete(form, data, section) {
    const article = document.getElementById(`comment-${data.id}`);
    const thread = article && article.closest(".stream-thread");
    const replies = thread && thread.querySelector(":scope > .stream-replies");
    if (replies && replies.children.length) replaceArticle(section, data.id, data.html);
    else if (thread) thread.remove();
    updateCount(section, data.count_label);
  },
  hide(form, data, section) {
    replaceArticle(section, data.id, data.html);
    updateCount(section, data.count_label);
  },
  unhide(form, data, section) {
    replaceArticle(section, data.id, data.html);
    updateCount(section, data.count_label);
  },
  flag(form, data, section) {
    const note = fromTemplate(section, "flagged");
    if (note) (form.closest("details") || form).replaceWith(note);
  },
  subscription(form, data, section) {
    showSubscribed(section, data.subscribed);
  },
  report(form, data) {
    const thanks = document.createElement("p");
    thanks.className = "stream-report__thanks";
    thanks.setAttribute("role", "status");
    thanks.textContent = data.message;
    form.replaceWith(thanks);
  },
};

async function submit(form, kind) {
  const section = form.closest("[data-stream-comments]");
  const status = section && section.querySelector("[data-comments-status]");
  const buttons = form.querySelectorAll("button");
  buttons.forEach((button) => {
    button.disabled = true;
  });
  let response;
  try {
    hiddenField(form, "csrfmiddlewaretoken", await csrfToken());
    if (KEYED.has(kind) && !form.querySelector("input[name=idempotency_key]")) {
      hiddenField(form, "idempotency_key", newKey());
    }
    response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { [FRAGMENT_HEADER]: "1", Accept: "application/json" },
      credentials: "same-origin",
    });
  } catch {
    // Offline: the request never got an answer. Post the form the plain way (a new comment
    // keeps its idempotency key, so the server saves it once however often it arrives).
    HTMLFormElement.prototype.submit.call(form);
    return;
  } finally {
    buttons.forEach((button) => {
      button.disabled = false;
    });
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null; // an answer that is not ours (a proxy's error page): say so, post nothing again
  }
  if (!response.ok || !data || !data.ok) {
    const holder = form.closest("[data-failed-text]");
    const errors = (data && data.errors) || [holder ? holder.dataset.failedText : String(response.status)];
    showErrors(form, errors);
    announce(status, errors.join(" "));
    return;
  }
  clearErrors(form);
  handlers[kind](form, data, section);
  if (section) relativeTimes(section);
  announce(status, data.message);
}

// "Reply" and "Flag" under each comment are links to pages of their own (the no-JS way, and a
// visitor's way to sign in first). For a signed-in viewer a click turns the link into a
// disclosure holding a copy of the section's one shared form, so a page of a thousand comments
// carries neither a thousand forms nor a thousand disclosures.
function sharedForm(link) {
  const section = link.closest("[data-stream-comments]");
  const kind = link.dataset.action;
  const comments = viewer && viewer.comments;
  if (!comments || (kind === "reply" && !comments.may_comment)) return null;
  const template = section && section.querySelector(`template[data-${kind}-template]`);
  const article = link.closest("[data-comment-id]");
  if (!template || !article) return null;
  const form = template.content.firstElementChild.cloneNode(true);
  const field = form.querySelector(kind === "reply" ? "textarea" : "select");
  const label = form.querySelector(`[data-${kind}-label]`);
  const id = `${kind}-${kind === "reply" ? "body" : "reason"}-${article.dataset.commentId}`;
  field.id = id;
  label.htmlFor = id;
  if (kind === "reply") form.querySelector("[name=parent]").value = article.dataset.commentId;
  else form.action = link.getAttribute("href");
  return form;
}

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest("a.stream-action[data-action]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (!["reply", "flag"].includes(link.dataset.action)) return;
  const form = sharedForm(link);
  if (!form) return; // not for this viewer here: follow the link to the page
  event.preventDefault();
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  details.className = "stream-action";
  details.dataset.action = link.dataset.action;
  summary.textContent = link.textContent;
  details.append(summary, form);
  details.open = true;
  link.replaceWith(details);
  form.querySelector("textarea, select").focus();
});

// "Edit" opens with the comment's own text (its Markdown, which the page does not carry).
document.addEventListener(
  "toggle",
  (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open) return;
    if (details.dataset.action === "edit") loadEditText(details);
    if (details.hasAttribute("data-report")) openReport(details);
  },
  true,
);

// While it loads the field is read-only (a disabled field would be left out of the form) and the
// form cannot be sent; text the learner typed before the disclosure's toggle event came is kept.
async function loadEditText(details) {
  const form = details.querySelector("form");
  const field = form && form.querySelector("textarea");
  if (!field || details.dataset.loaded) return;
  details.dataset.loaded = "1";
  if (field.value) return;
  const buttons = form.querySelectorAll("button");
  field.readOnly = true;
  buttons.forEach((button) => {
    button.disabled = true;
  });
  try {
    const response = await fetch(form.action, {
      headers: { [FRAGMENT_HEADER]: "1", Accept: "application/json" },
      credentials: "same-origin",
    });
    const data = await response.json();
    if (response.ok && typeof data.body === "string" && !field.value) field.value = data.body;
  } catch {
    delete details.dataset.loaded;
  } finally {
    field.readOnly = false;
    buttons.forEach((button) => {
      button.disabled = false;
    });
    field.focus();
  }
}

// The report form waits in a template until the disclosure opens.
function openReport(details) {
  if (details.querySelector("form")) return;
  const form = fromTemplate(details, "report");
  if (!form) return;
  details.append(form);
  viewerReady.then((known) => {
    if (known) details.querySelectorAll("[data-report-visitor-only]").forEach((part) => part.remove());
  });
}

// Comment times are written out by the server (a page stays cached for as long as nothing in
// it changes); here they read "3 minutes ago" in the page's language, kept current each
// minute. The exact time stays in the title.
const RELATIVE_UNITS = [
  ["year", 365 * 86400],
  ["month", 30 * 86400],
  ["week", 7 * 86400],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];

function relativeTimes(root) {
  const section = root.closest ? root.closest("[data-stream-comments]") || root : root;
  const justNow = (section.dataset && section.dataset.justNow) || "";
  let format;
  try {
    format = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "always" });
  } catch {
    return;
  }
  root.querySelectorAll("time[data-relative]").forEach((time) => {
    const seconds = (Date.now() - Date.parse(time.dateTime)) / 1000;
    if (Number.isNaN(seconds)) return;
    const found = RELATIVE_UNITS.find(([, size]) => seconds >= size);
    time.textContent = found
      ? format.format(-Math.floor(seconds / found[1]), found[0])
      : justNow || format.format(0, "second");
  });
}

document.querySelectorAll("[data-stream-comments]").forEach((section) => {
  relativeTimes(section);
  setInterval(() => relativeTimes(section), 60 * 1000);
});

viewerReady.then((known) => {
  viewer = known;
  if (known) document.querySelectorAll("[data-stream-comments]").forEach(showViewer);
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const kind = form.dataset.streamForm;
  if (!kind || !(kind in handlers) || !window.fetch) return;
  event.preventDefault();
  submit(form, kind);
});
