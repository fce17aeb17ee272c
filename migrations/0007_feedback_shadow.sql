-- A shadow's label of the answer feedback names (src/gateway/evidence/shadow.ts): on a request in the
-- shadow's share the answer trail keeps the shadow's labels, and feedback by request id carries the
-- one of its text here. The row stays one per answered text (feedback.id), so a repeat replaces the
-- shadow's count as it replaces the label. NULL when no shadow ran on the request.
ALTER TABLE feedback ADD COLUMN shadow_version TEXT;
ALTER TABLE feedback ADD COLUMN shadow_label TEXT;
