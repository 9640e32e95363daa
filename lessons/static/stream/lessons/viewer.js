// The viewer's part of a page every visitor shares. Lesson, course, tag and catalogue pages are
// the same bytes for everyone (the anonymous visitor's page); what belongs to this viewer comes
// from one request to the viewer endpoint, made only while the "signed in" cookie is present,
// or the "messages waiting" one (a visitor just signed out: "You have signed out.").
//
//   window.streamViewer      a Promise of the endpoint's answer, or of null for a visitor who
//                            is not signed in (no request is made for them but for messages)
//   window.streamCsrfToken() a Promise of a CSRF token: the viewer's, or, for a visitor, one
//                            asked of the endpoint the first time a form needs it
//
// Both are set as soon as this module runs, before the modules of the page's other sections
// (module scripts run in document order), so those can await them.

const block = document.getElementById("stream-viewer-config");
const config = block ? JSON.parse(block.textContent) : {};

function hasCookie(name) {
  return document.cookie.split(";").some((part) => part.trim().split("=")[0] === name);
}

function endpoint(withPage) {
  const url = new URL(config.url, window.location.href);
  if (withPage && config.lesson !== null && config.lesson !== undefined) {
    url.searchParams.set("lesson", config.lesson);
    if (config.commentsPage > 1) url.searchParams.set("comments_page", config.commentsPage);
  }
  return url;
}

async function ask(withPage) {
  const response = await fetch(endpoint(withPage), {
    credentials: "same-origin",
    cache: "no-store",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) throw new Error(`viewer endpoint: ${response.status}`);
  return response.json();
}

let answer = null; // the last answer, signed in or not: it carries a token either way
const signedIn = Boolean(config.url && config.cookie && hasCookie(config.cookie));
const messagesWait = Boolean(config.url && config.messagesCookie && hasCookie(config.messagesCookie));

window.streamViewer =
  signedIn || messagesWait
    ? ask(signedIn).then(
        (data) => {
          answer = data;
          showMessages(data.messages);
          // A cookie that outlived its session: the visitor's page is the right one.
          return data && data.user ? data : null;
        },
        () => null,
      )
    : Promise.resolve(null);

let visitorToken = null;

window.streamCsrfToken = () =>
  window.streamViewer.then(() => {
    if (answer && answer.csrf_token) return answer.csrf_token;
    if (!config.url) return "";
    if (!visitorToken) {
      visitorToken = ask(false).then(
        (data) => {
          answer = data;
          return data.csrf_token || "";
        },
        () => {
          visitorToken = null; // try again next time
          return "";
        },
      );
    }
    return visitorToken;
  });

// --- The header: the viewer's links, name and "Sign out" ------------------------------------

function navLink(item) {
  const link = document.createElement("a");
  link.href = item.url;
  link.textContent = item.label;
  if (item.badge) {
    link.append(" ");
    const badge = document.createElement("span");
    badge.className = "stream-unread-count";
    badge.textContent = item.badge;
    link.append(badge);
  }
  return link;
}

function fillHeader(viewer) {
  const area = document.querySelector("[data-viewer-account]");
  // A page rendered for this request (a form page, "My progress") shows its viewer already.
  if (!area || area.hasAttribute("data-signed-in")) return;
  const template = document.querySelector("template[data-viewer-account-template]");
  if (!template) return;
  const filled = template.content.cloneNode(true);
  filled.querySelector("[data-viewer-nav]").append(...(viewer.nav || []).map(navLink));
  filled.querySelector("[data-viewer-name]").textContent = viewer.user.name;
  const logout = filled.querySelector("[data-viewer-logout]");
  if (viewer.logout_url) {
    logout.action = viewer.logout_url;
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = viewer.csrf_token;
    // Back to this page, signed out: a shared page is a visitor's page too.
    const next = document.createElement("input");
    next.type = "hidden";
    next.name = "next";
    next.value = window.location.pathname + window.location.search;
    logout.prepend(token, next);
  } else {
    logout.remove();
  }
  area.replaceChildren(filled);
  area.setAttribute("data-signed-in", "");
}

// Messages waiting for the viewer ("signed in as ...", "You have signed out.") that a shared
// page cannot render: a list in the page's status region (the layout's, or one put at the top
// of <main>).
function showMessages(messages) {
  if (!messages || !messages.length) return;
  let region = document.querySelector("[data-viewer-messages]");
  if (!region) {
    const main = document.querySelector("main");
    if (!main) return;
    region = document.createElement("div");
    region.setAttribute("role", "status");
    main.prepend(region);
  }
  const list = document.createElement("ul");
  list.className = "messages";
  for (const message of messages) {
    const item = document.createElement("li");
    item.className = `message message--${message.level}`;
    item.textContent = message.text;
    list.append(item);
  }
  region.append(list);
}

window.streamViewer.then((viewer) => {
  if (viewer) fillHeader(viewer);
});

// Plain forms of a shared page that post (the language switch) carry no token in the HTML:
// add the token before the browser sends them.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-viewer-csrf")) return;
  if (form.querySelector("input[name=csrfmiddlewaretoken]")) return;
  event.preventDefault();
  const submitter = event.submitter;
  window.streamCsrfToken().then((value) => {
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = value;
    form.prepend(token);
    form.requestSubmit(submitter || undefined);
  });
});
