// Comments without a page reload: post, reply, edit, delete, flag, moderate, the 🔔 toggle and
// the problem report. Every form works without this module (a plain POST and a redirect back to
// the comment). Here the same forms go through fetch() with the header X-Stream-Fragment: 1, and
// the server answers with JSON holding HTML rendered from the same templates as the page.

const FRAGMENT_HEADER = "X-Stream-Fragment";

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content;
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

function replaceArticle(id, html) {
  const article = document.getElementById(`comment-${id}`);
  if (article) article.replaceWith(fragment(html));
  focusArticle(id);
}

const handlers = {
  post(form, data, section) {
    const list = section.querySelector("[data-thread-list]");
    const thread = fragment(data.html);
    if (section.dataset.order === "newest") list.prepend(thread);
    else list.append(thread);
    section.querySelector("[data-comments-empty]")?.remove();
    form.reset();
    updateCount(section, data.count_label);
    showSubscribed(section, data.subscribed);
  },
  reply(form, data, section) {
    const replies = section.querySelector(`[data-replies-for="${data.parent}"]`);
    if (!replies) {
      window.location.reload(); // the thread is not on this page of comments
      return;
    }
    replies.append(fragment(data.html));
    form.reset();
    const details = form.closest("details");
    if (details) details.open = false;
    updateCount(section, data.count_label);
    showSubscribed(section, data.subscribed);
  },
  edit(form, data) {
    replaceArticle(data.id, data.html);
  },
  delete(form, data, section) {
    const article = document.getElementById(`comment-${data.id}`);
    const thread = article && article.closest(".stream-thread");
    const replies = thread && thread.querySelector(":scope > .stream-replies");
    if (replies && replies.children.length) replaceArticle(data.id, data.html);
    else if (thread) thread.remove();
    updateCount(section, data.count_label);
  },
  hide(form, data, section) {
    replaceArticle(data.id, data.html);
    updateCount(section, data.count_label);
  },
  unhide(form, data, section) {
    replaceArticle(data.id, data.html);
    updateCount(section, data.count_label);
  },
  flag(form, data) {
    const note = document.createElement("span");
    note.className = "stream-comment__flagged";
    note.textContent = data.message;
    (form.closest("details") || form).replaceWith(note);
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
  let data;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { [FRAGMENT_HEADER]: "1", Accept: "application/json" },
      credentials: "same-origin",
    });
    data = await response.json();
  } catch {
    // Offline, or an answer that is not ours: let the browser post the form the plain way.
    HTMLFormElement.prototype.submit.call(form);
    return;
  } finally {
    buttons.forEach((button) => {
      button.disabled = false;
    });
  }
  if (!response.ok || !data.ok) {
    const errors = (data && data.errors) || [];
    showErrors(form, errors);
    announce(status, errors.join(" "));
    return;
  }
  clearErrors(form);
  handlers[kind](form, data, section);
  if (section) relativeTimes(section);
  announce(status, data.message);
}

// "Reply" and "Flag" under each comment are links to pages of their own (the no-JS way). A
// click turns the link into a disclosure holding a copy of the section's one shared form, so a
// page of a thousand comments carries neither a thousand forms nor a thousand disclosures.
function sharedForm(link) {
  const section = link.closest("[data-stream-comments]");
  const kind = link.dataset.action;
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
  if (!form) return; // no shared form here: follow the link to the page
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
    time.textContent = found ? format.format(-Math.floor(seconds / found[1]), found[0]) : justNow || format.format(0, "second");
  });
}

document.querySelectorAll("[data-stream-comments]").forEach((section) => {
  relativeTimes(section);
  setInterval(() => relativeTimes(section), 60 * 1000);
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const kind = form.dataset.streamForm;
  if (!kind || !(kind in handlers) || !window.fetch) return;
  event.preventDefault();
  submit(form, kind);
});
