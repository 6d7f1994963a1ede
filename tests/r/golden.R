# Golden values from R's survey package for tests/test_design.py and tests/test_weight.py.
#
# Reads the committed fixture wave (tests/fixtures/wave_2022.csv, a copy of the shipped 2022 wave)
# and targets (tests/fixtures/targets_2022.csv), and writes into tests/golden/:
#   weights_rake.csv, weights_poststratify.csv, weights_rake_design.csv  (respondent_id, weight)
#   estimates.csv  (case, design, name, value, se)
#   pairwise.csv  (design, measure, by, a, b, difference, se, z, p): column tests of a crosstab
#   weights_{rake,poststratify}_questions.csv, weights_none{,_design}.csv, estimates_general.csv: weighting on
#     single-choice questions (margins; cells given as counts) and no weighting (see the end of this script)
#
# Run from the repository root with `make golden` (needs Debian's r-base-core and r-cran-survey).
# The Python tests compare against the committed CSVs; CI does not need R. When R is present,
# tests/test_golden_r.py re-runs this script into a temporary folder and checks it still agrees.
suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/golden"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

d <- read.csv("tests/fixtures/wave_2022.csv", stringsAsFactors = FALSE)
tg <- read.csv("tests/fixtures/targets_2022.csv", stringsAsFactors = FALSE)
n <- nrow(d)

# Independent derivations of the weighting variables (codebook: sex 1 = Man, 2 = Kvinna; age groups).
d$sex <- factor(ifelse(d$sex == 1, "Man", "Kvinna"), levels = c("Man", "Kvinna"))
d$age_group <- cut(d$age, breaks = c(-Inf, 29, 44, 64, Inf), labels = c("18-29", "30-44", "45-64", "65+"))
# Design weights for the design-weight case: a fixed formula the Python test repeats.
d$design_weight <- 0.7 + (as.numeric(d$respondent_id) %% 7) / 10
d$one <- 1

# Indicators and scores
d$nps <- ifelse(is.na(d$recommend), NA, ifelse(d$recommend >= 9, 1, ifelse(d$recommend <= 6, -1, 0)))
d$heard_yes <- as.numeric(d$heard_of_1177 == 1)
d$band <- factor(ifelse(is.na(d$recommend), NA, ifelse(d$recommend >= 9, "promoter", ifelse(d$recommend <= 6, "detractor", "passive"))),
                 levels = c("detractor", "passive", "promoter"))
d$weekday <- ifelse(d$dt_weekday == 99, NA, d$dt_weekday)
d$use_login_f <- factor(d$use_login, levels = c(1, 2, 3, 99))

pop_sex <- aggregate(share ~ sex, data = tg, FUN = sum)
pop_sex <- data.frame(sex = factor(pop_sex$sex, levels = levels(d$sex)), Freq = pop_sex$share * n)
pop_age <- aggregate(share ~ age_group, data = tg, FUN = sum)
pop_age <- data.frame(age_group = factor(pop_age$age_group, levels = levels(d$age_group)), Freq = pop_age$share * n)
pop_cells <- data.frame(sex = factor(tg$sex, levels = levels(d$sex)),
                        age_group = factor(tg$age_group, levels = levels(d$age_group)),
                        Freq = tg$share * n)

tight <- list(maxit = 1000, epsilon = 1e-15)
base <- svydesign(ids = ~1, weights = ~one, data = d)
base_dw <- svydesign(ids = ~1, weights = ~design_weight, data = d)
designs <- list(
  rake = rake(base, list(~sex, ~age_group), list(pop_sex, pop_age), control = tight),
  poststratify = postStratify(base, ~sex + age_group, pop_cells),
  rake_design = rake(base_dw, list(~sex, ~age_group), list(pop_sex, pop_age), control = tight)
)

fmt <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(design, name, est) {
  v <- coef(est)
  s <- SE(est)
  rows[[length(rows) + 1]] <<- data.frame(design = design, name = paste0(name, names(v)), value = fmt(v), se = fmt(s))
}

for (dn in names(designs)) {
  des <- designs[[dn]]
  w <- weights(des)
  write.csv(data.frame(respondent_id = d$respondent_id, weight = fmt(w)),
            file.path(out_dir, paste0("weights_", dn, ".csv")), row.names = FALSE, quote = FALSE)
  add(dn, "nps", svymean(~nps, des, na.rm = TRUE))
  add(dn, "recommend_mean", svymean(~recommend, des, na.rm = TRUE))
  add(dn, "band:", svymean(~band, des, na.rm = TRUE))
  add(dn, "heard:", svymean(~heard_yes, des, na.rm = TRUE))
  add(dn, "use_login:", svymean(~use_login_f, des, na.rm = TRUE))
  add(dn, "weekday_mean", svymean(~weekday, des, na.rm = TRUE))
  add(dn, "ls_journal_routed", svymean(~ls_journal, subset(des, use_login %in% c(2, 3)), na.rm = TRUE))
  for (s in levels(d$sex)) {
    add(dn, paste0("nps_sex=", s), svymean(~nps, subset(des, sex == s), na.rm = TRUE))
  }
  for (a in levels(d$age_group)) {
    add(dn, paste0("nps_age=", a), svymean(~nps, subset(des, age_group == a), na.rm = TRUE))
  }
  add(dn, "nps_region=3", svymean(~nps, subset(des, region == 3), na.rm = TRUE))
}
est <- do.call(rbind, rows)
write.csv(est, file.path(out_dir, "estimates.csv"), row.names = FALSE, quote = FALSE)

# Pairwise column tests of a crosstab (pipeline/crosstab.py): the difference of two domain estimates of the
# same calibrated wave, b − a, from a domain-indicator regression (svyglm y ~ 0 + group on the respondents
# with an answer) and svycontrast, so the SE is that of the contrast: the groups of one raked sample are not
# independent, and sqrt(se_a² + se_b²) is not R's SE. z = difference / se, p two-sided normal.
pair_rows <- list()
for (dn in c("rake", "poststratify")) {
  des <- designs[[dn]]
  for (m in c("heard", "nps")) {
    y <- if (m == "heard") "heard_yes" else "nps"
    for (by in c("sex", "age_group")) {
      sub <- subset(des, !is.na(des$variables[[y]]))
      g <- svyglm(as.formula(paste(y, "~ 0 +", by)), design = sub)
      lv <- levels(d[[by]])
      for (i in seq_along(lv)) for (j in seq_along(lv)) if (i < j) {
        k <- numeric(length(lv)); k[i] <- -1; k[j] <- 1
        ct <- svycontrast(g, k)
        z <- coef(ct) / SE(ct)
        pair_rows[[length(pair_rows) + 1]] <- data.frame(design = dn, measure = m, by = by, a = lv[i], b = lv[j],
          difference = fmt(coef(ct)), se = fmt(SE(ct)), z = fmt(z), p = fmt(2 * pnorm(-abs(z))))
      }
    }
  }
}
write.csv(do.call(rbind, pair_rows), file.path(out_dir, "pairwise.csv"), row.names = FALSE, quote = FALSE)
cat("wrote golden values to", out_dir, "with survey", as.character(packageVersion("survey")), "\n")

# Weighting as configuration (tests/test_weight_general.py): a rake on two single-choice questions (not
# demographics), a post-stratification on the cells of two others given as population counts, and no
# calibration at all (weights 1, or the design weights), each with the estimates of the deck's kinds.
# Writes weights_<design>.csv for the four designs and estimates_general.csv (design, name, value, se).
wait_levels <- as.character(1:9)
d$digital_wait_f <- factor(d$digital_wait, levels = 1:9, labels = wait_levels)
d$preferred_f <- factor(d$preferred_service, levels = 1:3, labels = c("1", "2", "3"))
d$online_f <- factor(d$online_used, levels = 1:2, labels = c("1", "2"))
pop_wait <- data.frame(digital_wait_f = factor(wait_levels, levels = wait_levels),
                       Freq = c(0.10, 0.20, 0.20, 0.15, 0.10, 0.07, 0.05, 0.06, 0.07) * n)
pop_pref <- data.frame(preferred_f = factor(c("1", "2", "3"), levels = c("1", "2", "3")), Freq = c(0.55, 0.20, 0.25) * n)
visits <- data.frame(online_f = factor(c("1", "1", "1", "2", "2", "2"), levels = c("1", "2")),
                     preferred_f = factor(c("1", "2", "3", "1", "2", "3"), levels = c("1", "2", "3")),
                     count = c(3000, 1200, 1800, 9000, 2500, 2500))
pop_visits <- data.frame(online_f = visits$online_f, preferred_f = visits$preferred_f, Freq = visits$count / sum(visits$count) * n)
base <- svydesign(ids = ~1, weights = ~one, data = d)
base_dw <- svydesign(ids = ~1, weights = ~design_weight, data = d)
general <- list(
  rake_questions = rake(base, list(~digital_wait_f, ~preferred_f), list(pop_wait, pop_pref), control = tight),
  poststratify_questions = postStratify(base, ~online_f + preferred_f, pop_visits),
  none = base,
  none_design = base_dw
)
rows <- list()
for (dn in names(general)) {
  des <- general[[dn]]
  write.csv(data.frame(respondent_id = d$respondent_id, weight = fmt(weights(des))),
            file.path(out_dir, paste0("weights_", dn, ".csv")), row.names = FALSE, quote = FALSE)
  add(dn, "nps", svymean(~nps, des, na.rm = TRUE))
  add(dn, "recommend_mean", svymean(~recommend, des, na.rm = TRUE))
  add(dn, "band:", svymean(~band, des, na.rm = TRUE))
  add(dn, "use_login:", svymean(~use_login_f, des, na.rm = TRUE))
  add(dn, "ls_journal_routed", svymean(~ls_journal, subset(des, use_login %in% c(2, 3)), na.rm = TRUE))
  for (s in levels(d$sex)) {
    add(dn, paste0("nps_sex=", s), svymean(~nps, subset(des, sex == s), na.rm = TRUE))
  }
  add(dn, "nps_preferred=1", svymean(~nps, subset(des, preferred_service == 1), na.rm = TRUE))
}
write.csv(do.call(rbind, rows), file.path(out_dir, "estimates_general.csv"), row.names = FALSE, quote = FALSE)
cat("wrote the general weighting golden values to", out_dir, "\n")
