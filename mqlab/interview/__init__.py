"""The interview kit: a question bank with model answers, a comparison of the brokers with
each figure's source, and drills (predictions and flash cards) scheduled in the browser.

Everything here is data plus a few views; each question and drill names the lesson that shows
it (a room source slug such as ``scenario:kafka-replay``), and ``lessons.check`` proves that
every such slug opens a room.
"""

from mqlab.interview.compare import COLUMNS, ROWS, SOURCES
from mqlab.interview.drills import CARDS, DRILLS, Card, Drill
from mqlab.interview.lessons import check, lesson
from mqlab.interview.questions import QUESTIONS, Question, by_slug

__all__ = ["CARDS", "COLUMNS", "DRILLS", "QUESTIONS", "ROWS", "SOURCES", "Card", "Drill",
           "Question", "by_slug", "check", "lesson"]
