#include "study/consentdialog.hpp"

#include <QDialogButtonBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace glasswing::studio {

ConsentDialog::ConsentDialog(const studies::Protocol& protocol, QWidget* parent)
    : QDialog(parent), m_version(QString::fromStdString(protocol.consent_version)) {
  setObjectName(QStringLiteral("consentDialog"));
  setWindowTitle(tr("Consent — %1").arg(QString::fromStdString(protocol.title)));
  setModal(true);
  auto* layout = new QVBoxLayout(this);
  auto* heading = new QLabel(tr("Please read this before you start (consent version %1).").arg(m_version), this);
  heading->setWordWrap(true);
  heading->setTextFormat(Qt::PlainText);
  layout->addWidget(heading);
  m_text = new QPlainTextEdit(QString::fromStdString(protocol.consent_text), this);
  m_text->setObjectName(QStringLiteral("consentText"));
  m_text->setReadOnly(true);
  m_text->setAccessibleName(tr("Consent text"));
  m_text->setMinimumSize(420, 160);
  layout->addWidget(m_text, 1);
  auto* note = new QLabel(tr("If you do not agree, the study ends now and nothing more is recorded."), this);
  note->setWordWrap(true);
  layout->addWidget(note);
  auto* buttons = new QDialogButtonBox(this);
  m_agree = buttons->addButton(tr("I &Agree"), QDialogButtonBox::AcceptRole);
  m_decline = buttons->addButton(tr("I Do &Not Agree"), QDialogButtonBox::RejectRole);
  m_agree->setObjectName(QStringLiteral("consentAgree"));
  m_decline->setObjectName(QStringLiteral("consentDecline"));
  m_agree->setAutoDefault(false);  // Enter alone does not consent
  m_decline->setAutoDefault(false);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  m_text->setFocus();
}

QString ConsentDialog::consentText() const { return m_text->toPlainText(); }

}  // namespace glasswing::studio
