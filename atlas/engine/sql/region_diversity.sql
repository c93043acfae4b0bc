-- Diversity of each region's employment over the published (not imputed) categories of its
-- taxonomy, from the sums of region_measure_sums (a view: nothing to store). With
-- P = sum e_i, s_i = e_i / P and r_i the share of category i in the level's reference level
-- (us_area, us_state -> us_nation):
--   entropy_norm = -sum s_i ln s_i / ln N = (ln P - sum e_i ln e_i / P) / ln N
--                  (N = categories with employment in the reference)
--   hhi          = sum s_i^2 = sum e_i^2 / P^2
--   effective_n  = 1 / hhi
--   hachman      = 1 / sum s_i LQ_i = 1 / sum s_i^2 / r_i = P^2 / sum e_i^2 / r_i
--   krugman      = sum_i |s_i - r_i| over all categories
CREATE OR REPLACE VIEW region_diversity AS
SELECT
    level,
    region_id,
    n_categories,
    CASE WHEN n_reference > 1
        THEN (ln(published_employment) - e_ln_e / published_employment) / ln(n_reference)
        END AS entropy_norm,
    e_sq / (published_employment * published_employment) AS hhi,
    (published_employment * published_employment) / e_sq AS effective_n,
    (published_employment * published_employment) / e_sq_over_r AS hachman,
    krugman
FROM region_measure_sums
WHERE published_employment > 0;
