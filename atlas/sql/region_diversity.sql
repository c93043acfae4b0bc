-- Diversity of each region's employment over the published (not imputed) categories of its
-- taxonomy, from the sums of region_sums. With P = sum e_i, s_i = e_i / P and r_i the share
-- of category i in the level's reference level (us_area, us_state -> us_nation):
--   entropy_norm = -sum s_i ln s_i / ln N = (ln P - sum e_i ln e_i / P) / ln N
--                  (N = categories with employment in the reference)
--   hhi          = sum s_i^2 = sum e_i^2 / P^2
--   effective_n  = 1 / hhi
--   hachman      = 1 / sum s_i LQ_i = 1 / sum s_i^2 / r_i = P^2 / sum e_i^2 / r_i
--   krugman      = sum_i |s_i - r_i| over all categories
CREATE OR REPLACE TABLE region_diversity AS
SELECT
    s.level,
    s.region_id,
    s.n_categories,
    CASE WHEN c.n_reference > 1
        THEN (ln(s.published_employment) - s.e_ln_e / s.published_employment) / ln(c.n_reference)
        END AS entropy_norm,
    s.e_sq / (s.published_employment * s.published_employment) AS hhi,
    (s.published_employment * s.published_employment) / s.e_sq AS effective_n,
    (s.published_employment * s.published_employment) / s.e_sq_over_r AS hachman,
    s.krugman
FROM region_sums AS s
LEFT JOIN level_reference_counts AS c ON c.level = s.level
WHERE s.published_employment > 0;
