"""Assessment grids: referentials as versioned data, self-assessments, reviews, scores and plans.

One module per concern: `reading` (a YAML or JSON file into values that remember their line),
`validation` (those values checked into one normalised referential, or errors with lines),
`scoring` (pure arithmetic with fractions), `importing` (the referential into the database,
atomically), `services` (assessments and their statuses), `votes` (adoption by the bureau).
"""
