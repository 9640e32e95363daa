// Talks to POST progress/sync/ with the session cookie and the viewer's CSRF token (from the
// viewer endpoint: the page itself carries none).

function csrfToken() {
  if (window.streamCsrfToken) return window.streamCsrfToken();
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return Promise.resolve(field ? field.value : "");
}

function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

// Resolves {ok, status, data}; rejects only when the network fails.
export async function postEvents(data, events) {
  const response = await fetch(data.syncUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      [data.csrfHeader || "X-CSRFToken"]: await csrfToken(),
    },
    body: JSON.stringify({ events, time_zone: timeZone() }),
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { ok: response.ok && body !== null, status: response.status, data: body };
}
