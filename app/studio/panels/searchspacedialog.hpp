#pragma once
// SearchSpaceDialog ("Search space…" in the run setup): one row per searched parameter of each
// chosen model family, from engine::family_space (its bounds, log scale and strong default), where
// the user fixes a value or narrows the range (a categorical parameter: one choice or a
// comma-separated subset). The edits are checked by engine::check_space_edits as they are typed,
// so the dialog and a run agree; OK is enabled only while they are valid. The result is the
// engine's RunSettings::space JSON.

#include <QDialog>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

QT_BEGIN_NAMESPACE
class QDialogButtonBox;
class QLabel;
class QPushButton;
class QTableWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class SearchSpaceDialog : public QDialog {
  Q_OBJECT

 public:
  enum Column { Family, Parameter, Range, Default, Fixed, Low, High, ColumnCount };

  // `families`: the run's families (constant has no parameters); `edits`: the current space edits.
  SearchSpaceDialog(const QStringList& families, const nlohmann::ordered_json& edits, QWidget* parent = nullptr);

  // The edits (engine::check_space_edits' normalised form); valid only when isValid().
  nlohmann::ordered_json edits() const { return m_edits; }
  bool isValid() const { return m_valid; }
  // The one-line reason the edits are refused (empty when valid).
  QString problem() const { return m_problem; }

  // For the tests and the keyboard-less: sets the cell of `family.parameter` in `column` (Fixed,
  // Low or High); false when there is no such row.
  bool setCell(const QString& family, const QString& parameter, Column column, const QString& text);
  // Clears every edit.
  void resetAll();

  QTableWidget* table() const { return m_table; }
  QPushButton* okButton() const;

 private:
  void validate();
  int rowOf(const QString& family, const QString& parameter) const;

  QTableWidget* m_table = nullptr;
  QLabel* m_status = nullptr;
  QDialogButtonBox* m_buttons = nullptr;
  nlohmann::ordered_json m_edits = nlohmann::ordered_json::object();
  bool m_valid = true;
  QString m_problem;
  bool m_filling = false;
};

}  // namespace glasswing::studio
