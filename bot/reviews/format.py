"""Review cards and place summaries as text: HTML for Telegram, plain for the terminal."""

from __future__ import annotations

import html
import re

from bot import texts
from bot.reviews.analysis import ReviewAnalysis
from bot.reviews.summary import PlaceSummary


def plain(text: str) -> str:
    """HTML of a card without tags, for the terminal."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def analysis_lines(analysis: ReviewAnalysis) -> list[str]:
    """Sentiment, summary, pros and cons, aspects, verdict and reasons of one review (HTML)."""
    e = html.escape
    if analysis.stated_rating is not None:  # the author's own rating decides; the text's reading stays beside it
        tone = texts.REVIEW_CARD_WITH_STATED.format(
            sentiment=texts.SENTIMENT_LABELS[analysis.sentiment], stated=analysis.stated_rating,
            text_sentiment=texts.SENTIMENT_LABELS[analysis.text_sentiment or analysis.sentiment], score=analysis.score,
        )  # fmt: skip
    else:
        tone = texts.REVIEW_CARD_SENTIMENT.format(
            sentiment=texts.SENTIMENT_LABELS[analysis.sentiment], score=analysis.score, rating=analysis.rating
        )
    lines = [tone, texts.REVIEW_CARD_SUMMARY.format(summary=e(analysis.summary))]
    for title, points in ((texts.REVIEW_CARD_PROS, analysis.pros), (texts.REVIEW_CARD_CONS, analysis.cons)):
        if points:
            lines.append(title + "\n" + "\n".join(f"• {e(p)}" for p in points))
    if analysis.aspects:
        aspects = [
            f"{texts.POLARITY_MARKS[hit.polarity]} {texts.ASPECT_LABELS[name]}: «{e(hit.evidence)}»"
            for name, hit in analysis.aspects.items()
        ]
        lines.append(texts.REVIEW_CARD_ASPECTS + "\n" + "\n".join(aspects))
    verdict = texts.REVIEW_CARD_VERDICT.format(verdict=texts.VERDICT_LABELS[analysis.verdict])
    if analysis.reasons:
        verdict += "\n" + texts.REVIEW_CARD_REASONS.format(
            reasons=", ".join(texts.reason_label(r, analysis.similar_to) for r in analysis.reasons)
        )
    lines.append(verdict)
    if analysis.masked_text != analysis.text:
        lines.append(texts.REVIEW_CARD_MASKED.format(text=e(analysis.masked_text)))
    source = texts.REVIEW_CARD_SOURCE[analysis.source]
    lines.append(f"<i>{source}{'. ' + e(analysis.note) if analysis.note else ''}</i>")
    return lines


def summary_text(summary: PlaceSummary) -> str:
    """The `/summary` answer (HTML)."""
    e = html.escape
    agg = summary.aggregate
    lines = [texts.SUMMARY_TITLE.format(place=e(summary.place)), texts.SUMMARY_COUNTS.format(count=agg.count)]
    if agg.count:
        stated = f"{agg.stated_average:.1f}" if agg.stated_average is not None else "—"
        estimated = f"{agg.estimated_average:.1f}" if agg.estimated_average is not None else "—"
        lines.append(texts.SUMMARY_RATINGS.format(stated=stated, estimated=estimated))
        split = ", ".join(f"{texts.SENTIMENT_SHORT[s]} {n}" for s, n in agg.sentiments.most_common())
        lines.append(texts.SUMMARY_SENTIMENTS.format(split=split))
    for title, points in ((texts.SUMMARY_TOP_PROS, agg.top_pros), (texts.SUMMARY_TOP_CONS, agg.top_cons)):
        if points:
            lines.append(title + "\n" + "\n".join(f"• {e(text)} — {n}" for text, n in points))
    if agg.aspects:
        rows = [
            f"{texts.ASPECT_LABELS[name]:<14} {c['positive']:>3} {c['negative']:>3} {c['neutral'] + c['mixed']:>3}"
            for name, c in agg.aspects.items()
        ]
        lines.append(texts.SUMMARY_ASPECTS + "\n<pre>" + e("\n".join(rows)) + "</pre>")
    lines.append(texts.SUMMARY_TEXT.format(text=e(summary.text)))
    if summary.source == "rules" and agg.count >= 3:
        lines.append(f"<i>{texts.SUMMARY_SOURCE_RULES}</i>")
    return "\n\n".join(lines)
