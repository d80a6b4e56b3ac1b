"""SMS channel: Twilio's Messages API."""
