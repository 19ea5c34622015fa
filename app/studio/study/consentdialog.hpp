#pragma once
// ConsentDialog: the protocol's consent form (docs/STUDIES.md "consent"), shown by study mode
// before the first task of a participant who has not agreed to this consent version yet. The text
// is shown as plain text (never rich text) with its version; "I Agree" accepts, "I Do Not Agree"
// rejects. Closing the form (Escape, the window's close button) counts as not agreeing: a
// participant who has not agreed is never logged beyond session_start.

#include <QDialog>
#include <QString>

#include "studies/protocol.hpp"

QT_BEGIN_NAMESPACE
class QPlainTextEdit;
class QPushButton;
QT_END_NAMESPACE

namespace glasswing::studio {

class ConsentDialog : public QDialog {
  Q_OBJECT

 public:
  explicit ConsentDialog(const studies::Protocol& protocol, QWidget* parent = nullptr);

  QString consentVersion() const { return m_version; }
  QString consentText() const;
  QPushButton* agreeButton() const { return m_agree; }
  QPushButton* declineButton() const { return m_decline; }

 private:
  QString m_version;
  QPlainTextEdit* m_text = nullptr;
  QPushButton* m_agree = nullptr;
  QPushButton* m_decline = nullptr;
};

}  // namespace glasswing::studio
