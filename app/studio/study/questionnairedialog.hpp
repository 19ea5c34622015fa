#pragma once
// QuestionnaireDialog: one protocol questionnaire (docs/STUDIES.md) as a form: a LikertScale per
// likert item (its scale and anchors) and a text box per text item. OK is enabled once every
// likert item has an answer (text items may stay empty). responses() gives one JSON value per
// answered item: an integer for likert items, text for text items (empty text is left out).

#include <QDialog>
#include <QString>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "studies/protocol.hpp"

QT_BEGIN_NAMESPACE
class QDialogButtonBox;
class QPlainTextEdit;
QT_END_NAMESPACE

namespace glasswing::studio {

class LikertScale;

class QuestionnaireDialog : public QDialog {
  Q_OBJECT

 public:
  QuestionnaireDialog(const studies::Questionnaire& questionnaire, QWidget* parent = nullptr);

  QString questionnaireId() const { return QString::fromStdString(m_questionnaire.id); }
  const studies::Questionnaire& questionnaire() const { return m_questionnaire; }
  // For tests and scripts: answers an item; false when the item is unknown or the value is not
  // on its scale / not text.
  bool setResponse(const QString& itemId, const nlohmann::json& value);
  bool isComplete() const;
  // item id -> response, in protocol order.
  std::vector<std::pair<std::string, nlohmann::json>> responses() const;

 private:
  void updateState();

  studies::Questionnaire m_questionnaire;
  std::map<std::string, LikertScale*> m_scales;
  std::map<std::string, QPlainTextEdit*> m_texts;
  QDialogButtonBox* m_buttons = nullptr;
};

}  // namespace glasswing::studio
