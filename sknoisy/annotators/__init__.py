"""Several annotators per sample: consensus labels and annotator quality.

:func:`dawid_skene` estimates each annotator's confusion matrix and every
sample's class posterior from a matrix of votes (one column per annotator,
missing where an annotator did not label a sample);
:func:`encode_votes` validates such a matrix and encodes its labels;
:func:`majority_vote` is the plain baseline. ``NoisyLabelClassifier(
annotators=True)`` fits a network on such a matrix (see :ref:`annotators`);
:class:`sknoisy.noise.AnnotatorPanel` simulates a panel of annotators.
"""

from ._dawid_skene import DawidSkeneResult, dawid_skene
from ._votes import encode_votes, majority_vote

__all__ = ["DawidSkeneResult", "dawid_skene", "encode_votes", "majority_vote"]
