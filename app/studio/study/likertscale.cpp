#include "study/likertscale.hpp"

#include <QAbstractButton>
#include <QButtonGroup>
#include <QGridLayout>
#include <QLabel>
#include <QLayoutItem>
#include <QRadioButton>

#include <algorithm>

namespace glasswing::studio {

LikertScale::LikertScale(QWidget* parent)
    : QWidget(parent), m_grid(new QGridLayout(this)), m_group(new QButtonGroup(this)) {
  m_grid->setContentsMargins(0, 0, 0, 0);
  m_grid->setHorizontalSpacing(12);
  m_group->setExclusive(true);
  // Button ids are offsets from the minimum (QButtonGroup reserves -1), so negative scales work.
  connect(m_group, &QButtonGroup::idClicked, this, [this](int id) { emit valueChanged(m_min + id); });
  setScale(1, 7);
}

void LikertScale::setScale(int minimum, int maximum, const std::map<std::string, std::string>& anchors) {
  for (QAbstractButton* button : m_group->buttons()) m_group->removeButton(button);
  while (QLayoutItem* item = m_grid->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  m_min = minimum;
  m_max = std::max(minimum, maximum);
  for (int v = m_min; v <= m_max; ++v) {
    const int column = v - m_min;
    auto* button = new QRadioButton(QString::number(v), this);
    button->setAccessibleName(tr("Rating %1").arg(v));
    m_group->addButton(button, column);
    m_grid->addWidget(button, 0, column, Qt::AlignHCenter);
    const auto anchor = anchors.find(std::to_string(v));
    if (anchor != anchors.end()) {
      auto* label = new QLabel(QString::fromStdString(anchor->second), this);
      label->setWordWrap(true);
      label->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
      QFont small = label->font();
      small.setPointSizeF(small.pointSizeF() * 0.9);
      label->setFont(small);
      m_grid->addWidget(label, 1, column);
      button->setToolTip(label->text());
    }
  }
}

std::optional<int> LikertScale::value() const {
  const int id = m_group->checkedId();
  if (id < 0 || id > m_max - m_min) return std::nullopt;
  return m_min + id;
}

bool LikertScale::setValue(int value) {
  if (value < m_min || value > m_max) return false;
  QAbstractButton* button = m_group->button(value - m_min);
  if (button == nullptr) return false;
  button->setChecked(true);
  emit valueChanged(value);
  return true;
}

void LikertScale::clear() {
  m_group->setExclusive(false);
  for (QAbstractButton* button : m_group->buttons()) button->setChecked(false);
  m_group->setExclusive(true);
}

}  // namespace glasswing::studio
