// Site behaviour beyond NHS.UK frontend's own components. Kept out of inline scripts for a strict CSP.
