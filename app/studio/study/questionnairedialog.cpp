#include "study/questionnairedialog.hpp"

#include <QDialogButtonBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include "study/likertscale.hpp"

namespace glasswing::studio {

QuestionnaireDialog::QuestionnaireDialog(const studies::Questionnaire& questionnaire, QWidget* parent)
    : QDialog(parent), m_questionnaire(questionnaire),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok, this)) {
  setWindowTitle(questionnaire.title.empty() ? tr("Questionnaire")
                                             : QString::fromStdString(questionnaire.title));
  setObjectName(QStringLiteral("questionnaire_%1").arg(QString::fromStdString(questionnaire.id)));
  auto* content = new QWidget;
  auto* form = new QVBoxLayout(content);
  for (const auto& item : questionnaire.items) {
    auto* question = new QLabel(QString::fromStdString(item.text), content);
    question->setWordWrap(true);
    QFont bold = question->font();
    bold.setBold(true);
    question->setFont(bold);
    form->addWidget(question);
    if (item.type == "text") {
      auto* edit = new QPlainTextEdit(content);
      edit->setTabChangesFocus(true);
      edit->setMaximumHeight(90);
      edit->setAccessibleName(QString::fromStdString(item.text));
      question->setBuddy(edit);
      m_texts[item.id] = edit;
      form->addWidget(edit);
    } else {
      auto* scale = new LikertScale(content);
      scale->setScale(item.scale_min, item.scale_max, item.anchors);
      scale->setAccessibleName(QString::fromStdString(item.text));
      connect(scale, &LikertScale::valueChanged, this, &QuestionnaireDialog::updateState);
      m_scales[item.id] = scale;
      form->addWidget(scale);
    }
    form->addSpacing(8);
  }
  form->addStretch(1);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(content);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);

  auto* layout = new QVBoxLayout(this);
  auto* hint = new QLabel(tr("Please answer every rating; written answers are optional."), this);
  hint->setWordWrap(true);
  layout->addWidget(hint);
  layout->addWidget(scroll, 1);
  layout->addWidget(m_buttons);
  connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
    if (isComplete()) accept();
  });
  resize(640, 520);
  updateState();
}

bool QuestionnaireDialog::setResponse(const QString& itemId, const nlohmann::json& value) {
  const std::string id = itemId.toStdString();
  if (auto s = m_scales.find(id); s != m_scales.end()) {
    return value.is_number_integer() && s->second->setValue(value.get<int>());
  }
  if (auto t = m_texts.find(id); t != m_texts.end() && value.is_string()) {
    t->second->setPlainText(QString::fromStdString(value.get<std::string>()));
    return true;
  }
  return false;
}

bool QuestionnaireDialog::isComplete() const {
  for (const auto& [id, scale] : m_scales) {
    if (!scale->value()) return false;
  }
  return true;
}

std::vector<std::pair<std::string, nlohmann::json>> QuestionnaireDialog::responses() const {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  for (const auto& item : m_questionnaire.items) {
    if (auto s = m_scales.find(item.id); s != m_scales.end()) {
      if (const auto v = s->second->value()) out.emplace_back(item.id, *v);
    } else if (auto t = m_texts.find(item.id); t != m_texts.end()) {
      const QString text = t->second->toPlainText().trimmed();
      if (!text.isEmpty()) out.emplace_back(item.id, text.toStdString());
    }
  }
  return out;
}

void QuestionnaireDialog::updateState() {
  m_buttons->button(QDialogButtonBox::Ok)->setEnabled(isComplete());
}

}  // namespace glasswing::studio
