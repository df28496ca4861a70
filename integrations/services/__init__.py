"""Writes of the integrations app, by sub-domain: connections (settings, credentials, maps,
test), sync (pull with a watermark), webhooks (HubSpot events in)."""
