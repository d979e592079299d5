"""Learning from use: which suggestions the user accepted and which fixes they kept, counted on
the machine only; the counts steer the router and the accepted answers become a training set
(``goldcrest export``) and an eval suite (``goldcrest eval --data``)."""
