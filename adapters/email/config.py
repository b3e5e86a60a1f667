"""The e-mail channel's settings: the mailbox (IMAP in, SMTP out), the shop's address, the limits.

Read from the environment (`EmailSettings.from_env`), like every secret in kefu.
Passwords never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from adapters import env as envvars
from adapters.email.classify import MailRules
from adapters.email.imap import ImapConfig
from adapters.email.out import SmtpConfig

IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


class EmailConfigError(envvars.SettingsError):
    """The e-mail settings are incomplete or wrong; the message names the variable to fix."""


@dataclass(kw_only=True)
class EmailSettings:
    imap_host: str
    imap_port: int = 993
    imap_ssl: bool = True  # TLS from the first byte (port 993)
    imap_starttls: bool = False  # plain connection upgraded with STARTTLS (port 143)
    imap_user: str
    imap_password: str = field(repr=False)
    imap_folder: str = "INBOX"
    smtp_host: str
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_user: str | None = None  # None: log in with the IMAP user; "": do not log in
    smtp_password: str | None = field(default=None, repr=False)  # None: the IMAP password
    address: str  # the shop's address: From of every letter
    name: str | None = None  # display name on letters, e.g. the shop's name
    poll_seconds: float = 60.0
    max_replies_per_hour: int = 5  # per buyer address; more mail is still stored, not answered
    max_age_days: int = 7  # older unread mail is left for people (0: no limit)
    shop_domains: tuple[str, ...] = ()  # mail from these domains is a colleague's (default: the address's domain)
    spam_header: str = "X-Spam-Score"  # the spam filter's score header
    spam_threshold: float = 5.0  # at or above this score a mail is spam, never answered
    attachment_folder: str = "mail-attachments"  # where buyers' attachments are stored
    attachment_max_bytes: int = 10 * 1024 * 1024  # larger attachments are listed, not stored

    def __post_init__(self) -> None:
        if self.imap_ssl and self.imap_starttls:
            raise EmailConfigError("choose either imap_ssl or imap_starttls, not both")
        if self.smtp_security not in SMTP_PORTS:
            raise EmailConfigError(f"smtp_security must be starttls, ssl or none, not {self.smtp_security!r}")
        if "@" not in self.address:
            raise EmailConfigError(f"the shop address {self.address!r} is not an e-mail address (KEFU_EMAIL_ADDRESS)")
        if self.attachment_max_bytes < 0:
            raise EmailConfigError("attachment_max_bytes must not be negative (KEFU_EMAIL_ATTACHMENT_MAX_MB)")
        if self.poll_seconds <= 0 or self.max_replies_per_hour < 0:
            raise EmailConfigError("poll_seconds must be positive and max_replies_per_hour not negative")

    @property
    def imap_security(self) -> str:
        return "ssl" if self.imap_ssl else "starttls" if self.imap_starttls else "none"

    def rules(self) -> MailRules:
        return MailRules(self.address, tuple(self.shop_domains), self.spam_header, self.spam_threshold)

    def imap(self) -> ImapConfig:
        return ImapConfig(
            host=self.imap_host, port=self.imap_port, security=self.imap_security, user=self.imap_user,
            password=self.imap_password, folder=self.imap_folder,
        )

    def smtp(self) -> SmtpConfig:
        user = self.imap_user if self.smtp_user is None else self.smtp_user
        password = self.imap_password if self.smtp_password is None else self.smtp_password
        return SmtpConfig(
            host=self.smtp_host, port=self.smtp_port, security=self.smtp_security, user=user or None,
            password=password if user else None,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "EmailSettings":
        """Settings from KEFU_IMAP_*, KEFU_SMTP_* and KEFU_EMAIL_* (see docs/channels-email.md)."""
        env = os.environ if env is None else env
        required = ("KEFU_IMAP_HOST", "KEFU_IMAP_USER", "KEFU_IMAP_PASSWORD", "KEFU_SMTP_HOST", "KEFU_EMAIL_ADDRESS")
        missing = [name for name in required if envvars.text(env, name) is None]
        if missing:
            raise EmailConfigError(f"the e-mail channel needs {', '.join(missing)}")
        imap_security = _security(env, "KEFU_IMAP_SECURITY", "ssl", IMAP_PORTS)
        smtp_security = _security(env, "KEFU_SMTP_SECURITY", "starttls", SMTP_PORTS)
        imap_port = envvars.number(env, "KEFU_IMAP_PORT", IMAP_PORTS[imap_security])
        smtp_port = envvars.number(env, "KEFU_SMTP_PORT", SMTP_PORTS[smtp_security])
        envvars.check_port(imap_port, "KEFU_IMAP_PORT")
        envvars.check_port(smtp_port, "KEFU_SMTP_PORT")
        return cls(
            imap_host=env["KEFU_IMAP_HOST"].strip(), imap_port=imap_port,
            imap_ssl=imap_security == "ssl", imap_starttls=imap_security == "starttls",
            imap_user=env["KEFU_IMAP_USER"].strip(), imap_password=env["KEFU_IMAP_PASSWORD"],
            imap_folder=envvars.text(env, "KEFU_IMAP_FOLDER") or "INBOX",
            smtp_host=env["KEFU_SMTP_HOST"].strip(), smtp_port=smtp_port, smtp_security=smtp_security,
            # unset: the IMAP login; set but empty: no SMTP login (a local relay)
            smtp_user=env["KEFU_SMTP_USER"].strip() if "KEFU_SMTP_USER" in env else None,
            smtp_password=env.get("KEFU_SMTP_PASSWORD") or None,
            address=env["KEFU_EMAIL_ADDRESS"].strip(), name=envvars.text(env, "KEFU_EMAIL_NAME"),
            poll_seconds=_seconds(env, "KEFU_EMAIL_POLL_SECONDS", 60.0),
            max_replies_per_hour=envvars.number(env, "KEFU_EMAIL_MAX_REPLIES_PER_HOUR", 5),
            max_age_days=envvars.number(env, "KEFU_EMAIL_MAX_AGE_DAYS", 7),
            shop_domains=tuple(d.strip().lower() for d in (envvars.text(env, "KEFU_EMAIL_SHOP_DOMAINS") or "").split(",") if d.strip()),
            spam_header=envvars.text(env, "KEFU_EMAIL_SPAM_HEADER") or "X-Spam-Score",
            spam_threshold=_seconds(env, "KEFU_EMAIL_SPAM_THRESHOLD", 5.0),
            attachment_folder=envvars.text(env, "KEFU_EMAIL_ATTACHMENT_FOLDER") or "mail-attachments",
            attachment_max_bytes=int(_seconds(env, "KEFU_EMAIL_ATTACHMENT_MAX_MB", 10.0) * 1024 * 1024),
        )


def _security(env: Mapping[str, str], name: str, default: str, ports: Mapping[str, int]) -> str:
    return envvars.choice((envvars.text(env, name) or default).lower(), name, tuple(ports))


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A number from the environment (seconds, a score, megabytes)."""
    value = envvars.text(env, name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise EmailConfigError(f"{name} must be a number, got {value!r}") from None
