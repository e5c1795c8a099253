"""`docpipe ask`, `chat` and `log`: questions over the stored documents, and what was asked."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from docpipe.answer.request import AskMode, DocumentKind
from docpipe.cli.common import DebugOpt, HomeOpt, open_app, quiet_libraries, reported, usage_error
from docpipe.cli.root import app

if TYPE_CHECKING:
    from docpipe.answer.ask import Answer


@app.command(rich_help_panel="Questions")
@reported
def ask(
    question: Annotated[str, typer.Argument(help="A question about the ingested documents.")],
    k: Annotated[int, typer.Option("-k", help="Passages to retrieve.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    mode: Annotated[
        AskMode, typer.Option(help="auto: LLM, checked against the passages, else the best line; llm; extractive.")
    ] = AskMode.AUTO,
    document: Annotated[
        str | None, typer.Option(help="Only this document (file name or path; % matches anything).")
    ] = None,
    kind: Annotated[DocumentKind | None, typer.Option("--type", help="Only documents of this kind.")] = None,
    since: Annotated[str | None, typer.Option(help="Only documents ingested on or after YYYY-MM-DD.")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Print the LLM's words as they come.")] = False,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Answer a question from the documents, citing document, page and box."""
    quiet_libraries()
    from pydantic import ValidationError

    from docpipe.answer.request import AskRequest

    try:  # the same checks as /api/ask's
        fields = {"question": question, "k": k, "mode": mode, "stream": stream, "document": document}
        request = AskRequest.model_validate({**fields, "type": kind, "since": since or None})
    except ValidationError as e:
        raise usage_error(
            e, {"question": "QUESTION", "k": "-k", "document": "--document", "since": "--since"}
        ) from None
    dp = open_app(home)
    dp.require_store()
    on_token = None
    if stream and not as_json:

        def on_token(piece: str) -> None:
            sys.stdout.write(piece)
            sys.stdout.flush()

    said: list[str] = []
    if on_token is not None:
        write = on_token

        def on_token(piece: str) -> None:
            said.append(piece)
            write(piece)

    answer = dp.ask(request, on_token=on_token)
    if as_json:
        typer.echo(json.dumps(answer.contract(), ensure_ascii=False, indent=2))
        return
    _print_answer(answer, streamed=bool(said))


def _print_answer(answer: Answer, *, streamed: bool) -> None:
    if streamed:  # the words are out already; a streamed answer that failed its check is withdrawn
        typer.echo("" if answer.grounded else f"\n{answer.answer}")
    else:
        typer.echo(answer.answer)
    for i, c in enumerate(answer.citations, start=1):
        box = ", ".join(f"{v:.0f}" for v in c.bbox)
        typer.echo(f"  [{i}] {c.document}, page {c.page}, box [{box}]: “{c.text}”")
    typer.echo(f"  ({answer.model}, {answer.latency_s:.1f} s)")


@app.command(rich_help_panel="Questions")
@reported
def chat(
    k: Annotated[int, typer.Option("-k", help="Passages to retrieve per question.")] = 5,
    mode: Annotated[AskMode, typer.Option(help="auto, llm or extractive (as for ask).")] = AskMode.AUTO,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Ask question after question with the model loaded once; an empty line or Ctrl-D ends."""
    quiet_libraries()
    from docpipe.answer.request import AskRequest

    dp = open_app(home)
    dp.require_store()
    if mode != AskMode.EXTRACTIVE:
        typer.echo("loading the model…", err=True)
        dp.warm_up()
    typer.echo("Ask about your documents (empty line to quit).", err=True)

    said: list[str] = []

    def on_token(piece: str) -> None:
        said.append(piece)
        sys.stdout.write(piece)
        sys.stdout.flush()

    while True:
        said.clear()
        try:
            question = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if not question:
            return
        request = AskRequest(question=question[:4000], k=k, mode=mode, stream=True)
        answer = dp.ask(request, on_token=on_token)
        _print_answer(answer, streamed=bool(said))


@app.command("log", rich_help_panel="Questions")
@reported
def show_log(
    n: Annotated[int, typer.Option("-n", help="How many of the latest questions.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """Show the questions asked, their answers, model, route, chunks used, latency and tokens."""
    rows = open_app(home).asks(n)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in reversed(rows):
        flag = "" if r["grounded"] else "  (ungrounded)"
        typer.echo(
            f"#{r['id']} [{r['mode']}/{r['route']} {r['model']}, {float(str(r['latency_s'])):.2f} s, "
            f"{r['prompt_tokens']}+{r['completion_tokens']} tokens, chunks {r['chunk_ids']}]{flag}\n"
            f"  Q: {r['question']}\n  A: {r['answer']}"
        )
