-- Derived substitutable shares at the alternative exposure thresholds: the rule of
-- derive_scores.sql, per threshold.
-- Inputs:  source_variants(measure, code, threshold, substitutable)  (no NULL shares)
--          category_map(from_code, to_code, weight, rule)
-- substitutable(to, t) = sum(weight * substitutable(from, t)) / sum(weight)
-- over the mapped codes that have a share at threshold t.
SELECT
    s.measure,
    m.to_code AS code,
    s.threshold,
    sum(m.weight * s.substitutable) / sum(m.weight) AS substitutable
FROM category_map AS m
JOIN source_variants AS s ON s.code = m.from_code
WHERE m.weight > 0
GROUP BY s.measure, m.to_code, s.threshold
ORDER BY s.measure, code, s.threshold;
