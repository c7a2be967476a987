"""Family tracing and return: tracing attempts, handovers with their receipt, repatriations (the
destination's Dinas Sosial through the referral loop), and what an agency's answer does to them."""
