// The catalogue's facts (every published lesson's id, XP, course, title and address; the
// levels; the active achievements and their rules), fetched once per site version from the
// versioned address the page names (data.factsUrl). The page itself stays the same size
// however many lessons the site has. A copy is kept in localStorage, so the status bar still
// works offline, and an older copy serves when the address cannot be reached.

function keyFor(data) {
  return `${data.storageKey}.facts`;
}

function kept(data) {
  try {
    const record = JSON.parse(window.localStorage.getItem(keyFor(data)) || "null");
    return record && record.facts ? record : null;
  } catch {
    return null;
  }
}

function keep(data, facts) {
  try {
    window.localStorage.setItem(keyFor(data), JSON.stringify({ url: data.factsUrl, facts }));
  } catch {
    // a full or missing localStorage: the browser's HTTP cache still holds the address
  }
}

// Resolves to {lessons, levels, achievements}, or null when there are none to be had.
export async function loadFacts(data) {
  if (!data.factsUrl) return null;
  const record = kept(data);
  if (record && record.url === data.factsUrl) return record.facts;
  try {
    const response = await fetch(data.factsUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.ok) {
      const facts = await response.json();
      keep(data, facts);
      return facts;
    }
  } catch {
    // offline: fall back on the copy kept from an earlier version, if any
  }
  return record ? record.facts : null;
}
