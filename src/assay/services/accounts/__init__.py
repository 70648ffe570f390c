"""Accounts: sign-in, sessions and tokens, users, invites, passwords, permission policies, the audit log."""
