# Benchmark counterpart of pipeline.weight: R survey::rake on the same respondents and targets.
#
# Called by bench/run.py (row c):
#   Rscript bench/rake.R respondents.csv margins.csv weights.bin [epsilon] [maxit]
# respondents.csv: sex, age_group (category names); margins.csv: variable, category, total
# (population totals = target share × n, as the pipeline uses). Writes the raked weights as
# little-endian float64 (one per respondent, in file order) and prints one line
#   design_seconds=… rake_seconds=… n=… survey=<version>
# Only the rake() call is timed as rake_seconds; reading the CSV and svydesign() are not.
suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) stop("usage: Rscript bench/rake.R respondents.csv margins.csv weights.bin [epsilon] [maxit]")
epsilon <- if (length(args) >= 4) as.numeric(args[4]) else 1e-6
maxit <- if (length(args) >= 5) as.integer(args[5]) else 1000L

d <- read.csv(args[1], stringsAsFactors = FALSE, colClasses = c("character", "character"))
m <- read.csv(args[2], stringsAsFactors = FALSE, colClasses = c("character", "character", "numeric"))
ms <- m[m$variable == "sex", ]
ma <- m[m$variable == "age_group", ]
d$sex <- factor(d$sex, levels = ms$category)
d$age_group <- factor(d$age_group, levels = ma$category)
d$one <- 1
pop_sex <- data.frame(sex = factor(ms$category, levels = ms$category), Freq = ms$total)
pop_age <- data.frame(age_group = factor(ma$category, levels = ma$category), Freq = ma$total)

t_design <- system.time(base <- svydesign(ids = ~1, weights = ~one, data = d))[["elapsed"]]
t_rake <- system.time(
  raked <- rake(base, list(~sex, ~age_group), list(pop_sex, pop_age), control = list(maxit = maxit, epsilon = epsilon))
)[["elapsed"]]
w <- as.double(weights(raked))
con <- file(args[3], "wb")
writeBin(w, con, size = 8, endian = "little")
close(con)
cat(sprintf("design_seconds=%.4f rake_seconds=%.4f n=%d survey=%s\n", t_design, t_rake, nrow(d), as.character(packageVersion("survey"))))
