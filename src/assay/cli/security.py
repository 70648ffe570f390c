"""Account commands: `assay users passwd|deactivate|activate|role|invite` and `assay tokens create|ls|revoke`.

These run against the database directly (whoever can run them can read the database anyway), and are
recorded in the audit log as done by the system. `assay.cli.main` mounts them.
"""

from __future__ import annotations

import typer
from rich.table import Table

from assay.cli.common import console, database, group, settings_from

tokens_app = group("API tokens for the SDK and CLI (shown once, stored hashed).")


def users_passwd(ctx: typer.Context, username: str = typer.Argument(..., help="Whose password to set."),
                 password: str = typer.Option(..., prompt="New password", hide_input=True, confirmation_prompt=True,
                                              help="At least 8 characters (prompted when omitted).")) -> None:
    """Set someone's password (an admin reset); ends all of their sessions and revokes their API tokens.

    Example: assay users passwd alice
    """
    from assay.services.accounts import users

    with database(settings_from(ctx)) as db:
        u = users.find_user(db, username)
        ended = users.set_password(db, u.id, password)
    console.print(f"password of [bold]{username}[/] changed; {ended.describe()}")


def users_deactivate(ctx: typer.Context, username: str = typer.Argument(..., help="Who to deactivate.")) -> None:
    """Deactivate a person: their sessions end and their API tokens stop working at once.

    Example: assay users deactivate bob
    """
    from assay.services.accounts import users

    with database(settings_from(ctx)) as db:
        users.set_active(db, users.find_user(db, username).id, False)
    console.print(f"[bold]{username}[/] is deactivated")


def users_activate(ctx: typer.Context, username: str = typer.Argument(..., help="Who to activate again.")) -> None:
    """Activate a deactivated person again.

    Example: assay users activate bob
    """
    from assay.services.accounts import users

    with database(settings_from(ctx)) as db:
        users.set_active(db, users.find_user(db, username).id, True)
    console.print(f"[bold]{username}[/] is active")


def users_role(ctx: typer.Context, username: str = typer.Argument(...),
               role: str = typer.Argument(..., help="admin | lead | reviewer | annotator")) -> None:
    """Change someone's site role.

    Example: assay users role carol lead
    """
    from assay.services.accounts import users

    with database(settings_from(ctx)) as db:
        u = users.set_role(db, users.find_user(db, username).id, role)
    console.print(f"[bold]{u.username}[/] is now {u.role.value}")


def users_invite(ctx: typer.Context, role: str = typer.Option("annotator", help="admin | lead | reviewer | annotator"),
                 hours: int = typer.Option(72, help="How long the link works (1..720)."),
                 note: str = typer.Option("", help="Who it is for (shown to admins)."),
                 base_url: str = typer.Option("http://127.0.0.1:8000", envvar="ASSAY_BASE_URL",
                                              help="The server's public address, for the link.")) -> None:
    """Create an invite link (works once, expires). The link is printed once; send it to the person.

    Example: assay users invite --role reviewer --hours 48 --base-url https://assay.example.org
    """
    from assay.services.accounts import invites

    with database(settings_from(ctx)) as db:
        raw, inv = invites.create_invite(db, role, None, hours, note)
    console.print(f"invite {inv.id} for a {inv.role.value}, expires {inv.expires_at:%Y-%m-%d %H:%M} UTC:")
    console.print(f"{base_url.rstrip('/')}/invite/{raw}", highlight=False, soft_wrap=True)


@tokens_app.command("create")
def tokens_create(ctx: typer.Context, username: str = typer.Argument(..., help="The token's owner."),
                  name: str = typer.Option(..., "--name", help="What the token is for."),
                  scope: str = typer.Option("read", help="read (GET only) | write")) -> None:
    """Create an API token for a person and print it once (use it as ASSAY_TOKEN or a Bearer header).

    Example: assay tokens create alice --name laptop --scope write
    """
    from assay.services.accounts import auth, users

    with database(settings_from(ctx)) as db:
        raw, tok = auth.create_api_token(db, users.find_user(db, username).id, name, scope)
    console.print(f"token {tok.id} ({tok.scope}) for {username} — copy it now, it is not shown again:")
    console.print(raw, highlight=False, soft_wrap=True)


@tokens_app.command("ls")
def tokens_ls(ctx: typer.Context, username: str = typer.Argument(..., help="Whose tokens.")) -> None:
    """List a person's tokens (prefix, scope, last use; never the token).

    Example: assay tokens ls alice
    """
    from assay.services.accounts import auth, users

    with database(settings_from(ctx)) as db:
        toks = auth.list_api_tokens(db, users.find_user(db, username).id)
    t = Table("id", "name", "prefix", "scope", "created", "last used", "state")
    for x in toks:
        t.add_row(str(x.id), x.name, x.prefix + "…", x.scope, f"{x.created_at:%Y-%m-%d %H:%M}",
                  f"{x.last_used_at:%Y-%m-%d %H:%M}" if x.last_used_at else "never", "revoked" if x.revoked else "active")
    console.print(t)


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, username: str = typer.Argument(..., help="The token's owner."),
                  token_id: int = typer.Argument(..., help="Token id (from `assay tokens ls`).")) -> None:
    """Revoke a token at once.

    Example: assay tokens revoke alice 3
    """
    from assay.services.accounts import auth, users

    with database(settings_from(ctx)) as db:
        auth.revoke_api_token(db, users.find_user(db, username).id, token_id)
    console.print(f"token {token_id} of {username} revoked")
