// Talks to POST progress/sync/ with the session cookie and the CSRF token.

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return "";
}

function csrfToken(data) {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return data.csrfToken || (field && field.value) || cookie("csrftoken");
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
      [data.csrfHeader || "X-CSRFToken"]: csrfToken(data),
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
