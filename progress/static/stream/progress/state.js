// A learner's numbers in one shape, whether they come from the browser's own events (anonymous)
// or from the server's answer (signed in), and the figures the status bar prints.

import { awardTimes } from "./rules.js";

function levelsFor(xp, levels) {
  const ordered = [...(levels || [])].sort((a, b) => a.min_xp - b.min_xp);
  const reached = ordered.filter((level) => level.min_xp <= xp);
  return {
    level: reached.length ? reached[reached.length - 1] : null,
    next: ordered.find((level) => level.min_xp > xp) || null,
  };
}

// From the browser's events and the catalogue's facts (published lessons, levels, rules: see
// facts.js).
export function localState(events, data) {
  const lessons = new Map((data.lessons || []).map((lesson) => [lesson.id, lesson]));
  const completedAt = new Map();
  for (const event of events) {
    if (!lessons.has(event.lesson)) continue;
    const ms = Date.parse(event.at);
    if (Number.isNaN(ms)) continue;
    const known = completedAt.get(event.lesson);
    if (known === undefined || ms < known) completedAt.set(event.lesson, Math.min(ms, Date.now()));
  }
  const lessonXp = new Map([...lessons].map(([id, lesson]) => [id, lesson.xp]));
  const achievements = (data.achievements || []).filter((achievement) => achievement.rule);
  const awards = awardTimes(achievements, completedAt, lessonXp);
  let xp = 0;
  for (const id of completedAt.keys()) xp += lessonXp.get(id) || 0;
  for (const achievement of achievements) if (awards.has(achievement.slug)) xp += achievement.xp;
  const { level, next } = levelsFor(xp, data.levels);
  return {
    xp,
    level,
    next_level: next,
    completedAt,
    achievements: new Set(awards.keys()),
    totals: { lessons: lessons.size, achievements: (data.achievements || []).length },
  };
}

// From GET progress/ or the "state" of a sync answer.
export function serverState(payload) {
  return {
    xp: payload.xp,
    level: payload.level,
    next_level: payload.next_level,
    completedAt: new Map(payload.completed.map((item) => [item.lesson, Date.parse(item.at)])),
    achievements: new Set(payload.achievements.map((item) => item.slug)),
    totals: payload.totals,
  };
}

export function figures(state) {
  const floor = state.level ? state.level.min_xp : 0;
  const next = state.next_level;
  const done = state.completedAt.size;
  const total = state.totals.lessons;
  return {
    level: state.level ? state.level.number : null,
    levelName: state.level ? state.level.name : "",
    xp: state.xp,
    done,
    total,
    earned: state.achievements.size,
    totalAchievements: state.totals.achievements,
    into: state.xp - floor,
    span: next ? next.min_xp - floor : 0,
    remaining: next ? next.min_xp - state.xp : 0,
    top: !next,
    percent: total ? Math.floor((done * 100) / total) : 0,
  };
}

// Where to continue (mirrors progress.selectors.next_lesson_to_continue).
export function nextLesson(lessons, completedAt, courseId = null) {
  const list = courseId === null ? lessons : lessons.filter((lesson) => lesson.course === courseId);
  const done = list.filter((lesson) => completedAt.has(lesson.id));
  if (!done.length || done.length === list.length) return null;
  let latest = done[0];
  for (const lesson of done) {
    if (completedAt.get(lesson.id) > completedAt.get(latest.id)) latest = lesson;
  }
  const start = list.indexOf(latest);
  const ordered = list.slice(start + 1).concat(list.slice(0, start + 1));
  return ordered.find((lesson) => !completedAt.has(lesson.id));
}
