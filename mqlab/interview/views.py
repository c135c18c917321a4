"""The interview kit's pages: an index, one page per question, the comparison table, and the
drills (whose scheduling happens in the browser)."""

from __future__ import annotations

import zlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mqlab.interview import compare, drills, questions, runs
from mqlab.interview.lessons import lesson


def _grouped() -> list[dict[str, object]]:
    return [{"key": key, "title": title,
             "questions": [q for q in questions.QUESTIONS if q.topic == key]}
            for key, title in questions.TOPICS.items()]


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "interview/index.html", {
        "topics": _grouped(), "question_count": len(questions.QUESTIONS),
        "drill_count": len(drills.DRILLS), "card_count": len(drills.CARDS),
        "system_count": len(compare.COLUMNS)})


@require_GET
def question(request: HttpRequest, slug: str) -> HttpResponse:
    found = questions.by_slug(slug)
    if found is None:
        raise Http404("no such question")
    position = questions.QUESTIONS.index(found)
    neighbours = {"previous": questions.QUESTIONS[position - 1] if position else None,
                  "next": questions.QUESTIONS[position + 1]
                  if position + 1 < len(questions.QUESTIONS) else None}
    return render(request, "interview/question.html", {
        "question": found, "lesson": lesson(found.lesson),
        "topic": questions.TOPICS[found.topic], **neighbours})


@require_GET
def comparison(request: HttpRequest) -> HttpResponse:
    numbers = {key: number for number, key in enumerate(compare.SOURCES, start=1)}
    rows = [{"label": row.label, "rough": row.rough,
             "cells": [{"column": name, "text": row.cells[key].text if key in row.cells else "—",
                        "refs": [numbers[ref] for ref in row.cells[key].sources]
                        if key in row.cells else []}
                       for key, name in compare.COLUMNS]}
            for row in compare.ROWS]
    sources = [{"number": numbers[key], "key": key, "title": title, "url": url}
               for key, (title, url) in compare.SOURCES.items()]
    return render(request, "interview/compare.html", {
        "columns": compare.COLUMNS, "rows": rows, "sources": sources})


def _shown(drill: drills.Drill) -> list[tuple[int, str]]:
    """The options as shown, each with its index in the data: rotated so that the right answer
    sits at a letter picked by the drill's name (the same on every visit)."""
    count = len(drill.options)
    start = (drill.answer - zlib.crc32(drill.slug.encode())) % count
    return [((start + step) % count, drill.options[(start + step) % count])
            for step in range(count)]


@require_GET
def drill_deck(request: HttpRequest) -> HttpResponse:
    deck = [{"drill": drill, "lesson": lesson(drill.lesson), "options": _shown(drill),
             "right": drill.options[drill.answer]}
            for drill in drills.DRILLS]
    cards = [{"card": card, "source": compare.SOURCES[card.source]} for card in drills.CARDS]
    return render(request, "interview/drills.html", {"deck": deck, "cards": cards})


def _run(request: HttpRequest, lesson_slug: str | None) -> HttpResponse:
    if lesson_slug is None:
        raise Http404("no such drill or question")
    return render(request, "interview/_run.html", {"run": runs.headless(lesson_slug),
                                                   "lesson": lesson_slug})


@require_GET
def drill_run(request: HttpRequest, slug: str) -> HttpResponse:
    """The headless run that answers a drill (a fragment the drills page loads on demand)."""
    drill = next((d for d in drills.DRILLS if d.slug == slug), None)
    return _run(request, drill.lesson if drill else None)


@require_GET
def question_run(request: HttpRequest, slug: str) -> HttpResponse:
    """The headless run of a question's lesson (loaded on demand by the question page)."""
    found = questions.by_slug(slug)
    return _run(request, found.lesson if found else None)
