"""The e-mail channel: a shop mailbox read over IMAP, answered with full letters over SMTP.

channel (the Channel) · imap (the mailbox) · parse (raw mail → facts) · classify and words (buyer, colleague
or machine, and why) · html, lines, text and signature (the sender's own words) · files (attachments on disk)
· out (letters over SMTP) · config (settings from the environment).
"""

from adapters.email.channel import EmailChannel, EmailChannelError
from adapters.email.config import EmailConfigError, EmailSettings

__all__ = ["EmailChannel", "EmailChannelError", "EmailConfigError", "EmailSettings"]
