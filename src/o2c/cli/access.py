"""``o2c serve``, ``o2c user`` and ``o2c token``: the HTTP API and who may use it.

There is no default password: the first admin is made with ``o2c user create NAME --role admin``,
which asks for the password (or reads it from stdin with ``--password-stdin``).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from o2c.cli.common import ActorOption, Format, FormatOption, out, print_json, state_of
from o2c.domain.access import Role
from o2c.domain.errors import ValidationFailed
from o2c.services.access import (
    NewUser,
    create_user,
    issue_token,
    list_users,
    revoke_token,
    set_user_active,
    tokens_of,
)

access_app = typer.Typer(no_args_is_help=True)
user_app = typer.Typer(help="Users of the HTTP API and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: shown once when created, revocable.", no_args_is_help=True)
access_app.add_typer(user_app, name="user")
access_app.add_typer(token_app, name="token")


@access_app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs)."""
    import uvicorn

    from o2c.api import create_app
    from o2c.api.settings import ApiSettings

    state = state_of(ctx)
    state.engine()  # refuses an uninitialised or outdated database before listening
    app = create_app(ApiSettings(database_url=state.url), engine=state.engine())
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValidationFailed("no terminal to ask for the password: use --password-stdin", field="password")
    password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    username: str,
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    customer: Annotated[str | None, typer.Option(help="The customer account of a portal user.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    actor: ActorOption = "cli",
) -> None:
    """Create a user (at least 12 characters of password; there is no default)."""
    request = NewUser(username=username, password=_password(password_stdin), role=role, customer=customer)
    user = create_user(state_of(ctx).uow(), request, actor)
    out.print(f"user {user.username} created ({user.role})")


@user_app.command("list")
def user_list(ctx: typer.Context, fmt: FormatOption = Format.TABLE) -> None:
    """List users with their roles."""
    users = list_users(state_of(ctx).uow())
    if fmt is Format.JSON:
        print_json(
            [
                {"username": u.username, "role": u.role, "customer": u.customer_code, "active": u.active}
                for u in users
            ]
        )
        return
    table = Table("username", "role", "customer", "active", title="users")
    for u in users:
        table.add_row(u.username, str(u.role), u.customer_code or "", "yes" if u.active else "no")
    out.print(table)


@user_app.command("deactivate")
def user_deactivate(ctx: typer.Context, username: str, actor: ActorOption = "cli") -> None:
    """Deactivate a user: their tokens stop working at once."""
    set_user_active(state_of(ctx).uow(), username, False, actor)
    out.print(f"user {username} deactivated")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "",
    expires_in_days: Annotated[
        int | None, typer.Option(help="Days until it expires (default: never).")
    ] = None,
    actor: ActorOption = "cli",
) -> None:
    """Create an API token for a user and print it: it is shown this once."""
    expires = timedelta(days=expires_in_days) if expires_in_days is not None else None
    issued = issue_token(state_of(ctx).uow(), username, name=name, expires_in=expires, actor=actor)
    sys.stderr.write(f"token {issued.info.id} for {username}; store it now, it is not shown again\n")
    sys.stdout.write(issued.token + "\n")


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: int, actor: ActorOption = "cli") -> None:
    """Revoke a token by its id (see `o2c token list`)."""
    revoke_token(state_of(ctx).uow(), token_id, actor=actor)
    out.print(f"token {token_id} revoked")


@token_app.command("list")
def token_list(ctx: typer.Context, username: str, fmt: FormatOption = Format.TABLE) -> None:
    """A user's tokens (never the secrets themselves)."""
    tokens = tokens_of(state_of(ctx).uow(), username)
    if fmt is Format.JSON:
        print_json(tokens)
        return
    table = Table("id", "name", "created", "expires", "revoked", title=f"tokens of {username}")
    for t in tokens:
        table.add_row(str(t.id), t.name, str(t.created_at), str(t.expires_at or ""), str(t.revoked_at or ""))
    out.print(table)
