-- Derived scores: the weighted mean of mapped source scores.
-- Inputs:  source_scores(measure, code, score, ge_10, ge_50, vulnerable, substitutable)
--          category_map(from_code, to_code, weight, rule)
-- score(to) = sum(weight * score(from)) / sum(weight), the same for ge_10, ge_50, vulnerable
-- and substitutable;
-- each column averages over the mapped codes where it is not NULL.
SELECT
    s.measure,
    m.to_code AS code,
    sum(m.weight * s.score) / sum(m.weight) FILTER (WHERE s.score IS NOT NULL) AS score,
    sum(m.weight * s.ge_10) / sum(m.weight) FILTER (WHERE s.ge_10 IS NOT NULL) AS ge_10,
    sum(m.weight * s.ge_50) / sum(m.weight) FILTER (WHERE s.ge_50 IS NOT NULL) AS ge_50,
    sum(m.weight * s.vulnerable) / sum(m.weight) FILTER (WHERE s.vulnerable IS NOT NULL)
        AS vulnerable,
    sum(m.weight * s.substitutable) / sum(m.weight) FILTER (WHERE s.substitutable IS NOT NULL)
        AS substitutable,
    min(m.rule) AS rule
FROM category_map AS m
JOIN source_scores AS s ON s.code = m.from_code
WHERE m.weight > 0
GROUP BY s.measure, m.to_code
ORDER BY s.measure, code;
