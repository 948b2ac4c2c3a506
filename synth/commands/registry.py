"""The table of ``synth`` commands: each one's module is imported only when that command runs.

``synth --help`` lists every command with the first sentence of its help, and ``synth kinds`` needs none of
``synth generate``'s imports: so the top-level group knows its commands by name, module and summary
(:data:`COMMANDS`), and builds a command (imports its module, makes its Click command) the first time it is
asked for it. The summaries are copies of the first paragraph of each command's help, shown by ``synth
--help`` without importing anything; ``tests/test_startup.py`` fails when one is stale.

Adding a command: a module under ``synth/commands/`` with a function whose parameters are Typer-annotated
(or a :class:`typer.Typer` of subcommands), and one :class:`CommandSpec` line below.

>>> group = LazyGroup(name="synth", commands={})
>>> list(group.commands)[:3]
['generate', 'validate', 'fit']
>>> group.commands.summary("fit", 45)  # from the table: nothing imported, no command built
'Learn a schema from a real table; then...'
>>> group.commands.built
{}
>>> group.commands["fit"].params[0].name  # built (synth.commands.fit imported) when asked for
'reals'
"""

from __future__ import annotations

import gc
import importlib
import inspect
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from .errors import CommandGroup

try:  # Typer ships its own copy of Click from 0.22 on; before, it used Click itself
    from typer._click import Command, Context, HelpFormatter
    from typer._click.utils import make_default_short_help
except ImportError:  # pragma: no cover
    from click import Command, Context, HelpFormatter  # type: ignore[assignment]
    from click.utils import make_default_short_help


@dataclass(frozen=True)
class CommandSpec:
    """Where a command lives: ``module``'s ``attribute`` (a Typer-annotated function, or a Typer app of
    subcommands), and ``summary``, the first paragraph of its help (what ``synth --help`` lists)."""

    module: str
    attribute: str
    summary: str
    #: Whether Python's cyclic garbage collector runs while the command does (see :func:`synth.cli.main`): False
    #: for a short command whose allocations are nearly all kept to the end (modules, classes, validators).
    collect: bool = True


#: Every command, in the order ``synth --help`` lists them.
COMMANDS: dict[str, CommandSpec] = {
    "generate": CommandSpec("synth.commands.generate", "generate", "Generate a table (or related tables) from a schema "
                            "and write it, in chunks (any size, bounded memory)."),
    "validate": CommandSpec("synth.commands.validate", "validate", "Check a schema without writing anything: fields, "
                            "references, files, and a trial run of 1,000 rows where only values can tell.", collect=False),
    "fit": CommandSpec("synth.commands.fit", "fit", "Learn a schema from a real table; then `synth generate` makes a "
                       "synthetic twin of any size."),
    "kinds": CommandSpec("synth.commands.kinds", "kinds", "List the column kinds a schema can use, or the fields of one kind.",
                         collect=False),
    "audit": CommandSpec("synth.commands.audit", "audit_command", "Score synthetic data against real data: fidelity, "
                         "utility, privacy. Exit 0 pass, 1 a check failed, 2 bad input."),
    "draft": CommandSpec("synth.commands.draft", "draft_command", "Draft a schema with an LLM (any OpenAI-compatible "
                         "endpoint: OPENAI_API_KEY, OPENAI_BASE_URL)."),
    "finetune": CommandSpec("synth.commands.finetune", "finetune_app", "Prepare and check JSONL fine-tuning data "
                            "(prompt/completion or chat format), and score predictions."),
}


def build_command(name: str, spec: CommandSpec) -> Command:
    """Import ``spec``'s module and make its Click command, as Typer would for ``app.command(name)(function)``
    (or ``app.add_typer(sub_app, name=name)``), with this command line's settings."""
    if spec.collect:
        gc.enable()  # (the command line starts with it off: synth.cli.main)
    target = getattr(importlib.import_module(spec.module), spec.attribute)
    if isinstance(target, typer.Typer):
        # (suggest_commands: "did you mean", a setting from Typer 0.16 on)
        suggest = {"suggest_commands": True} if "suggest_commands" in inspect.signature(get_group_from_info).parameters else {}
        command: Command = get_group_from_info(TyperInfo(target, name=name, cls=LightGroup), pretty_exceptions_short=True,
                                               rich_markup_mode=None, **suggest)
    else:
        command = get_command_from_info(CommandInfo(name=name, callback=target, cls=LightCommand), pretty_exceptions_short=True,
                                        rich_markup_mode=None)
    light_coercion(command)
    return command


# --- parameters that need no pydantic -------------------------------------------------------------
# Typer (>= 0.25) converts every parameter's value through a pydantic TypeAdapter, built the first time a
# value (even a flag left out, such as --help) is converted; importing pydantic and building the adapters
# costs `synth kinds` more than all its own work. A ``str``, ``pathlib.Path`` or ``bool`` parameter without
# a custom parser needs no pydantic for the values a command line gives it (text, or a flag's True/False):
# these are converted here as Typer's adapters convert them (Typer's own checks of a path's existence and
# access still apply). Any other value, and every other parameter (numbers, ranges, choices, lists), keeps
# Typer's conversion.
try:
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_path
except ImportError:  # pragma: no cover  (another Typer: its own conversion applies)
    RuntimeParam = None  # type: ignore[assignment,misc]


if RuntimeParam is not None:
    @dataclass(frozen=True)
    class _PlainRuntimeParam(RuntimeParam):  # type: ignore[misc,valid-type]
        """Converts text to ``str`` or ``Path``, and passes a flag's bool, as Typer's pydantic adapters do."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.annotation is bool:
                if isinstance(value, bool):
                    return value
            elif self.annotation is str:
                if isinstance(value, str):
                    return value
            elif isinstance(value, (str, Path)):
                return coerce_cli_path(Path(value), self.parameter_info, param=param, ctx=ctx,
                                       path_type=self.parameter_info.path_type or self.annotation)
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def light_param(param: Any) -> None:
    """Give ``param`` the converter above if it is a plain ``str``, ``Path`` or ``bool`` parameter (and Typer's
    internals are the ones this was written for); else leave it alone."""
    descriptor = getattr(param, "type_descriptor", None)
    if RuntimeParam is None or descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return
    info, annotation = descriptor.parameter_info, descriptor.annotation
    plain = annotation in (str, bool) or (isinstance(annotation, type) and issubclass(annotation, Path))
    if plain and info.parser is None and descriptor.file_annotation is None and info.path_type in (None, annotation):
        param._runtime_param = _PlainRuntimeParam(parameter_info=info, annotation=annotation)


def light_coercion(command: Command) -> None:
    """:func:`light_param` for every parameter of ``command`` and of its subcommands."""
    for param in command.params:
        light_param(param)
    for sub in getattr(command, "commands", {}).values():
        light_coercion(sub)


class _LightHelp:
    """The ``--help`` option Click adds to a command, made when the command line is parsed, gets
    :func:`light_param` too."""

    def get_help_option(self, ctx: Context) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            light_param(option)
        return option


class LightCommand(_LightHelp, TyperCommand):
    """A Typer command whose plain parameters need no pydantic (see :func:`light_param`)."""


class LightGroup(_LightHelp, TyperGroup):
    """A Typer group (``synth finetune``) whose plain parameters need no pydantic."""


class LazyCommands(MutableMapping[str, Command]):
    """A group's commands by name: every name in ``specs`` is there, built on first access.

    What Click and Typer read from a group's ``commands`` (names, ``get``, "did you mean") works unchanged;
    :meth:`summary` answers for the help listing without building anything.
    """

    def __init__(self, specs: dict[str, CommandSpec], built: MutableMapping[str, Command] | None = None) -> None:
        self.specs = specs
        self.built: dict[str, Command] = dict(built or {})

    def __getitem__(self, name: str) -> Command:
        if name not in self.built:
            if name not in self.specs:
                raise KeyError(name)
            self.built[name] = build_command(name, self.specs[name])
        return self.built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.built[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.specs
        yield from (name for name in self.built if name not in self.specs)

    def __len__(self) -> int:
        return len(set(self.specs) | set(self.built))

    def __contains__(self, name: object) -> bool:
        return name in self.specs or name in self.built

    def summary(self, name: str, limit: int) -> str:
        """The command's short help in ``limit`` characters, as Click shortens it: from the table unless built."""
        if name in self.built:
            return self.built[name].get_short_help_str(limit)
        return make_default_short_help(self.specs[name].summary, limit).strip()


class LazyGroup(_LightHelp, CommandGroup):
    """The ``synth`` group: :class:`CommandGroup`'s one error path, with the commands of :data:`COMMANDS`
    imported on demand."""

    specs: dict[str, CommandSpec] = COMMANDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.specs, self.commands)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)  # the names only: TyperGroup's reads every command

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The ``Commands:`` section of the help, as Typer writes it, from the summaries (nothing imported)."""
        names = [n for n in self.list_commands(ctx) if n in self.specs or not self.commands[n].hidden]
        if names:
            limit = formatter.width - 6 - max(len(n) for n in names)
            with formatter.section("Commands"):
                formatter.write_dl([(n, self.commands.summary(n, limit)) for n in names])
