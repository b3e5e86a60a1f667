"""The e-mail channel: a shop mailbox read over IMAP, answered with full letters over SMTP.

channel (the Channel) · imap (the mailbox) · parse (raw mail → facts) · html and text (the buyer's words)
· classify (buyer, colleague or machine) · files (attachments on disk) · out (letters over SMTP) · config.
"""

from adapters.email.channel import EmailChannel, EmailChannelError
from adapters.email.config import EmailConfigError, EmailSettings

__all__ = ["EmailChannel", "EmailChannelError", "EmailConfigError", "EmailSettings"]
