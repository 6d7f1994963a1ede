"""survey-deck: turn survey waves into a weighted, tested, branded slide deck.

Stages (one module each): ``load`` (wave files → validated respondent frames),
``weight`` (raking / post-stratification to population targets), ``metrics``
(every figure with bases, standard errors and significance), ``charts``
(matplotlib, one module per chart kind), ``slides`` (texts and chart specs per
slide), ``deck`` (python-pptx). ``report`` runs them all; ``cli`` is the
command line.
"""

__version__ = "0.1.0"
