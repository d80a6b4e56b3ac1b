"""Email channel: SMTP with `smtplib`, plain text and HTML."""
