"""Coaching's writes, by sub-domain: sessions (booking without double-booking), availability,
feeds, scorecards, post-mortems (commitments, action items, story lessons), notifications,
agenda prefill, and the commitment metrics."""
