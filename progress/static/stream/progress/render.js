// Puts a learner's state on the page: the status bar, the lesson's button, done marks, course
// cards and the "continue" link. Every word comes from the page (data.text), translated.

import { figures, nextLesson } from "./state.js";

export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

function setText(element, value) {
  // Unchanged text is left alone so the aria-live status bar announces only what changed.
  if (element && element.textContent !== value) element.textContent = value;
}

export function renderStatus(text, state) {
  const fig = figures(state);
  for (const bar of document.querySelectorAll("[data-progress-status]")) {
    const field = (name) => bar.querySelector(`[data-progress-field="${name}"]`);
    const hasLevel = fig.level !== null;
    setText(field("level"), hasLevel ? format(text.level, { number: fig.level }) : "");
    setText(field("level_name"), fig.levelName);
    for (const element of bar.querySelectorAll(
      '[data-progress-field="level"], [data-progress-field="level_name"], [data-progress-level-sep]',
    )) {
      element.hidden = !hasLevel;
    }
    setText(field("xp"), format(text.xp, { xp: fig.xp }));
    setText(field("lessons"), format(text.lessons, { done: fig.done, total: fig.total }));
    // No "0/0 achievements" and no "Top level reached" on a site without any (as
    // progress/texts.py's status_bar).
    const hasAchievements = fig.totalAchievements > 0;
    setText(
      field("achievements"),
      hasAchievements ? format(text.achievements, { done: fig.earned, total: fig.totalAchievements }) : "",
    );
    for (const element of bar.querySelectorAll(
      '[data-progress-field="achievements"], [data-progress-achievements-sep]',
    )) {
      element.hidden = !hasAchievements;
    }
    const hasLevels = hasLevel || !fig.top;
    let toNext = "";
    if (!fig.top) toNext = format(text.to_next, { into: fig.into, span: fig.span });
    else if (hasLevels) toNext = text.top_level;
    setText(field("to_next"), toNext);
    for (const element of bar.querySelectorAll(
      '[data-progress-field="to_next"], [data-progress-bar], [data-progress-levels-sep]',
    )) {
      element.hidden = !hasLevels;
    }
    setText(field("to_go"), fig.top ? "" : format(text.to_go, { remaining: fig.remaining }));
    for (const element of bar.querySelectorAll('[data-progress-field="to_go"], [data-progress-to-go-sep]')) {
      element.hidden = fig.top;
    }
    const meter = bar.querySelector("[data-progress-bar]");
    if (meter) {
      meter.max = fig.top ? 1 : Math.max(fig.span, 1);
      meter.value = fig.top ? 1 : fig.into;
    }
    setText(field("percent"), format(text.percent, { percent: fig.percent }));
  }
}

export function renderMarks(completedAt) {
  for (const mark of document.querySelectorAll("[data-progress-done-mark]")) {
    mark.hidden = !completedAt.has(Number(mark.dataset.progressDoneMark));
  }
}

export function renderCourseCards(lessons, completedAt) {
  const courses = new Map();
  for (const lesson of lessons) {
    const course = courses.get(lesson.course) || { done: 0, total: 0 };
    course.total += 1;
    if (completedAt.has(lesson.id)) course.done += 1;
    courses.set(lesson.course, course);
  }
  for (const card of document.querySelectorAll("[data-progress-course-card]")) {
    const course = courses.get(Number(card.dataset.progressCourseCard));
    if (!course) continue;
    setText(card.querySelector("[data-progress-course-count]"), `${course.done}/${course.total}`);
    const bar = card.querySelector("[data-progress-course-bar]");
    if (bar) {
      bar.max = course.total;
      bar.value = course.done;
    }
  }
}

export function renderContinue(text, lessons, completedAt) {
  for (const box of document.querySelectorAll("[data-progress-continue]")) {
    const course = box.dataset.progressContinueCourse;
    const next = nextLesson(lessons, completedAt, course ? Number(course) : null);
    box.hidden = !next;
    const link = box.querySelector("[data-progress-continue-link]");
    if (next && link) {
      link.href = next.url;
      setText(link, format(text.continue, { title: next.title }));
    }
  }
}

export function renderButton(text, done) {
  const button = document.querySelector("[data-progress-button]");
  if (!button) return;
  button.removeAttribute("aria-busy");
  button.disabled = done;
  setText(button, done ? `✓ ${text.completed}` : text.mark_complete);
  setText(document.querySelector("[data-progress-button-status]"), done ? text.done_note : "");
}

export function renderBusy(text) {
  const button = document.querySelector("[data-progress-button]");
  if (!button) return;
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  setText(document.querySelector("[data-progress-button-status]"), text.saving);
}

// The course-complete moment: shown when this completion finished the lesson's course.
export function renderCourseComplete(text, lessons, completedAt, lessonId) {
  const box = document.querySelector("[data-progress-course-complete]");
  const lesson = lessons.find((item) => item.id === lessonId);
  if (!box || !lesson) return false;
  const course = lessons.filter((item) => item.course === lesson.course);
  if (!course.every((item) => completedAt.has(item.id))) return false;
  box.textContent = format(text.course_complete, { course: box.dataset.courseTitle || "" });
  box.hidden = false;
  return true;
}

// Prerequisites: done marks on what a lesson builds on, lock marks on lesson rows (from the
// facts' requirements), and on a locked lesson its lock box instead of the button.
export function renderRequirementMarks(completedAt) {
  for (const item of document.querySelectorAll("[data-requirement-lesson], [data-requirement-course]")) {
    const done = item.dataset.requirementLesson
      ? completedAt.has(Number(item.dataset.requirementLesson))
      : (item.dataset.requirementLessons || "")
          .split(" ")
          .filter(Boolean)
          .every((id) => completedAt.has(Number(id)));
    const mark = item.querySelector("[data-requirement-done]");
    if (mark) mark.hidden = !done;
  }
}

export function renderLockMarks(isLockedFor) {
  for (const mark of document.querySelectorAll("[data-progress-lock-mark]")) {
    mark.hidden = !isLockedFor(Number(mark.dataset.progressLockMark));
  }
}

export function renderLock(text, locked) {
  const box = document.querySelector("[data-progress-locked]");
  const form = document.querySelector("[data-progress-form]");
  if (!box || !form) return;
  box.hidden = !locked;
  form.hidden = locked;
}
