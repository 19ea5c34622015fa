#pragma once
// The Studio's colours: the Okabe-Ito palette, distinguishable with the common forms of colour
// blindness (Okabe & Ito, "Color Universal Design", 2008). Charts take their colours from here
// so that every panel uses the same, safe set.

#include <QColor>

namespace glasswing::studio::palette {

inline QColor black() { return QColor(0x00, 0x00, 0x00); }
inline QColor orange() { return QColor(0xE6, 0x9F, 0x00); }
inline QColor skyBlue() { return QColor(0x56, 0xB4, 0xE9); }
inline QColor bluishGreen() { return QColor(0x00, 0x9E, 0x73); }
inline QColor yellow() { return QColor(0xF0, 0xE4, 0x42); }
inline QColor blue() { return QColor(0x00, 0x72, 0xB2); }
inline QColor vermillion() { return QColor(0xD5, 0x5E, 0x00); }
inline QColor reddishPurple() { return QColor(0xCC, 0x79, 0xA7); }

// Roles used across panels.
inline QColor numericBars() { return blue(); }
inline QColor categoryBars() { return bluishGreen(); }
inline QColor warning() { return vermillion(); }

}  // namespace glasswing::studio::palette
