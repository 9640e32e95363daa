// Achievement rules evaluated in the browser for anonymous visitors: the same definitions as
// progress/rules.py (award_times). Times are milliseconds; days are the browser's local days.

const DAY = 86400000;

function localDay(ms) {
  const date = new Date(ms);
  return Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()) / DAY;
}

function completionDays(completed) {
  const days = new Map();
  for (const ms of completed.values()) {
    const day = localDay(ms);
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(ms);
  }
  const ordered = [...days.entries()].sort((a, b) => a[0] - b[0]);
  for (const [, times] of ordered) times.sort((a, b) => a - b);
  return ordered;
}

function metAt(rule, completed, days) {
  switch (rule.kind) {
    case "lessons_completed": {
      const times = [...completed.values()].sort((a, b) => a - b);
      return times.length >= rule.count ? times[rule.count - 1] : null;
    }
    case "course_completed":
    case "tag_completed": {
      const lessons = rule.lessons || [];
      if (!lessons.length || !lessons.every((id) => completed.has(id))) return null;
      return Math.max(...lessons.map((id) => completed.get(id)));
    }
    case "lessons_in_one_day": {
      for (const [, times] of days) if (times.length >= rule.count) return times[rule.count - 1];
      return null;
    }
    case "streak_days": {
      let run = 0;
      let previous = null;
      for (const [day, times] of days) {
        run = previous !== null && day - previous === 1 ? run + 1 : 1;
        previous = day;
        if (run >= rule.days) return times[0];
      }
      return null;
    }
    default:
      return null; // first_comment: anonymous visitors cannot comment
  }
}

function xpReachedAt(entries, threshold, ownSlug) {
  let total = 0;
  for (const [ms, amount, slug] of entries) {
    if (slug === ownSlug) continue;
    total += amount;
    if (total >= threshold) return ms;
  }
  return null;
}

// {slug: time met} for every achievement the completions meet (Map lesson id → ms).
export function awardTimes(achievements, completed, lessonXp) {
  const times = new Map();
  const days = completionDays(completed);
  for (const achievement of achievements) {
    if (!achievement.rule || achievement.rule.kind === "xp_at_least") continue;
    const met = metAt(achievement.rule, completed, days);
    if (met !== null) times.set(achievement.slug, met);
  }
  const xpRules = achievements.filter((a) => a.rule && a.rule.kind === "xp_at_least");
  if (!xpRules.length) return times;
  const rewards = new Map(achievements.map((a) => [a.slug, a.xp]));
  const lessonEntries = [...completed].map(([id, ms]) => [ms, lessonXp.get(id) || 0, null]);
  for (;;) {
    const entries = lessonEntries
      .concat([...times].map(([slug, ms]) => [ms, rewards.get(slug) || 0, slug]))
      .sort((a, b) => a[0] - b[0]);
    let changed = false;
    for (const achievement of xpRules) {
      const met = xpReachedAt(entries, achievement.rule.xp, achievement.slug);
      const known = times.get(achievement.slug);
      if (met !== null && (known === undefined || met < known)) {
        times.set(achievement.slug, met);
        changed = true;
      }
    }
    if (!changed) return times;
  }
}

// Prerequisites, as progress/rules.py (requirements_unmet, lesson_locked): a lesson's
// requirements are [{lesson: id} | {course: id, lessons: [ids]}]; `completed` answers has(id).
export function unmetRequirements(requirements, completed) {
  return (requirements || []).filter((requirement) =>
    "lesson" in requirement
      ? !completed.has(requirement.lesson)
      : !(requirement.lessons || []).every((id) => completed.has(id)),
  );
}

// A lesson already completed is never locked: requirements added later take nothing back.
export function isLocked(lessonId, requirements, completed) {
  return !completed.has(lessonId) && unmetRequirements(requirements, completed).length > 0;
}
